namespace my_project.Api.Infrastructure;

/// <summary>
/// Something the operator must fix before the service can start: a bad setting, or a database in a state this build
/// cannot use. Its message names the setting or file, says what is wrong and how to fix it, and never holds a secret;
/// Program.cs prints it as one line instead of a stack trace.
/// </summary>
public sealed class StartupException(string message, Exception? innerException = null) : Exception(message, innerException);
