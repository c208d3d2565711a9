using my_project.Api.Infrastructure;
using my_project.Api.Database;

var builder = WebApplication.CreateBuilder(args);
try
{
    builder.AddServiceDefaults();
    builder.AddDatabase();

    var app = builder.Build();
    var role = app.Configuration.GetAppRole();
    if (role.RunsOnce())
    {
        return await app.RunOnceAsync(role); // no server, no scheduler: migrate (or back up, restore), then exit
    }

    app.MapServiceDefaults();
    if (role.ServesApi())
    {
        app.MapEndpoints(); // every class that implements IEndpoints, each in its feature's folder
    }

    app.Run();
    return 0;
}
catch (StartupException e) when (!builder.Environment.IsEnvironment("Testing")) // a test sees the exception itself
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
