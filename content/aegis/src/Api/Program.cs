#if (UseDatabase)
using AegisApp.Api.Database;
#endif
using AegisApp.Api.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
#if (UseDatabase)
builder.AddDatabase();
#endif

var app = builder.Build();

app.MapServiceDefaults();
#if (UseDatabase)
app.MapShields();
#endif

app.Run();
