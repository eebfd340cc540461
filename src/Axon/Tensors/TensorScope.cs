namespace Axon;

/// <summary>
/// Disposes, when it ends, every tensor created on this thread while it was the innermost scope:
/// wrap a training step in <c>using (new TensorScope()) { ... }</c> and its intermediate buffers go back
/// to the <see cref="BufferPool"/>, so steady-state steps allocate no large arrays. Tensors that must
/// outlive the scope are passed to <see cref="Keep"/> (or created before it, like parameters).
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? current;
    [ThreadStatic] private static int suspended;
    private readonly TensorScope? parent;
    private readonly List<Tensor> owned = [];
    private bool ended;

    /// <summary>Begins a scope nested in the current one.</summary>
    public TensorScope()
    {
        parent = current;
        current = this;
    }

    /// <summary>Number of tensors the scope will dispose.</summary>
    public int Count => owned.Count;

    internal static void Register(Tensor t)
    {
        if (suspended == 0) current?.owned.Add(t);
    }

    /// <summary>Moves <paramref name="t"/> to the enclosing scope (or out of scopes altogether) so it survives this one.</summary>
    public Tensor Keep(Tensor t)
    {
        if (owned.Remove(t)) parent?.owned.Add(t);
        return t;
    }

    /// <summary>Runs <paramref name="create"/> with scopes suspended: what it creates belongs to no scope (parameters, gradients, optimiser state).</summary>
    public static T Unscoped<T>(Func<T> create)
    {
        suspended++;
        try { return create(); }
        finally { suspended--; }
    }

    /// <summary>Disposes the tensors created in the scope and makes the parent scope current again.</summary>
    public void Dispose()
    {
        if (ended) return;
        ended = true;
        if (current == this) current = parent;
        foreach (var t in owned) t.Dispose();
        owned.Clear();
    }
}
