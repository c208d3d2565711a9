using my_project.Api.Infrastructure;

try
{
    var builder = WebApplication.CreateBuilder(args);

    builder.AddServiceDefaults();

    var app = builder.Build();

    app.MapServiceDefaults();
    if (app.Configuration.GetAppRole().ServesApi())
    {
        app.MapEndpoints(); // every class that implements IEndpoints, each in its feature's folder
    }

    app.Run();
    return 0;
}
catch (StartupException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
