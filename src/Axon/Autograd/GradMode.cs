namespace Axon;

/// <summary>
/// Thread-local switches of the autograd engine: whether operations are recorded (<see cref="NoGrad"/>)
/// and whether backward checks every gradient for NaN/Inf (<see cref="DetectAnomaly"/>).
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int disabled;
    [ThreadStatic] private static int anomaly;

    /// <summary>True when operations on tensors that require grad are recorded.</summary>
    public static bool IsEnabled => disabled == 0;

    /// <summary>True inside a <see cref="DetectAnomaly"/> scope.</summary>
    public static bool IsAnomalyEnabled => anomaly > 0;

    /// <summary>Stops recording until the returned scope is disposed: <c>using (GradMode.NoGrad()) { ... }</c>.</summary>
    public static IDisposable NoGrad() => new Scope(() => disabled++, () => disabled--);

    /// <summary>
    /// Turns recording back on inside a <see cref="NoGrad"/> scope until the returned scope is disposed (PyTorch's
    /// <c>enable_grad</c>): for code that needs gradients of its own wherever it is called from.
    /// </summary>
    public static IDisposable EnableGrad()
    {
        int saved = 0;
        return new Scope(() => { saved = disabled; disabled = 0; }, () => disabled = saved);
    }

    /// <summary>Makes backward name the first op whose gradient contains NaN or Inf, until disposed.</summary>
    public static IDisposable DetectAnomaly() => new Scope(() => anomaly++, () => anomaly--);

    private sealed class Scope : IDisposable
    {
        private Action? exit;

        public Scope(Action enter, Action exit) { enter(); this.exit = exit; }

        public void Dispose() { exit?.Invoke(); exit = null; }
    }
}
