using my_project.Api.Database;
using my_project.Api.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddDatabase();

var app = builder.Build();

app.MapServiceDefaults();
app.MapShields();

app.Run();
