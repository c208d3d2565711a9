using my_project.Api.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
try
{
    builder.AddServiceDefaults();

    var app = builder.Build();
    var role = app.Configuration.GetAppRole();

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
