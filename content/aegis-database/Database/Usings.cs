// The database component's namespaces, for every file of this project: Program.cs calls builder.AddDatabase() and
// app.MapEndpoints() without a using line, and each feature folder (Shields/, and those that dotnet new aegis-entity
// adds) implements IEndpoints and pages its lists with Page, from Aegis.Hosting. It goes with the rest of this folder.
global using Aegis.Hosting;
global using AegisApp.Api.Database;
