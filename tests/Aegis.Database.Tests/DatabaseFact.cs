using Xunit.Abstractions;
using Xunit.Sdk;

namespace Aegis.Database.Tests;

/// <summary>
/// A test of the app on either database, declared once in a base class whose type argument is the factory: in a class
/// on <see cref="PostgresApiFactory"/> it needs the server, and is skipped without it as a <see cref="PostgresFactAttribute"/> is.
/// </summary>
[XunitTestCaseDiscoverer("Aegis.Database.Tests.DatabaseFactDiscoverer", "Aegis.Database.Tests")]
public sealed class DatabaseFactAttribute : FactAttribute;

public sealed class DatabaseFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        new DatabaseTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
}

public sealed class DatabaseTestCase : XunitTestCase
{
    [Obsolete("For the deserializer only.", error: true)]
    public DatabaseTestCase()
    {
    }

    public DatabaseTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod method)
        : base(sink, display, options, method)
    {
    }

    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        OnPostgres(TestMethod.TestClass.Class.ToRuntimeType()) ? TestServer.SkipReason! : base.GetSkipReason(factAttribute);

    private static bool OnPostgres(Type? type) =>
        type is not null && ((type.IsGenericType && type.GetGenericArguments().Contains(typeof(PostgresApiFactory))) || OnPostgres(type.BaseType));
}
