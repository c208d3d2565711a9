namespace Aegis.Hosting;

/// <summary>
/// Something the operator must fix before the service can start: a bad setting, or a database in a state this build
/// cannot use. Its message names the setting or file, says what is wrong and how to fix it, and never holds a secret,
/// so that Program.cs can print it as one line instead of a stack trace.
/// </summary>
/// <param name="message">What is wrong and how to fix it, in one line.</param>
/// <param name="innerException">The error behind it, if any.</param>
public sealed class StartupException(string message, Exception? innerException = null) : Exception(message, innerException);
