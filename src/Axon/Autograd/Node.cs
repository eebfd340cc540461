namespace Axon;

/// <summary>
/// One recorded operation in the autograd graph: its name, its inputs, and the function that maps the
/// gradient of its output to gradients of its inputs. The graph is freed (the backward function and the
/// tensors it saved are dropped) after a backward pass unless the pass asks to retain it.
/// </summary>
public sealed class Node
{
    private static long counter;
    private Func<Tensor, Tensor?[]>? backward;

    internal Node(string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        this.backward = backward;
        Sequence = Interlocked.Increment(ref counter);
    }

    /// <summary>The op's name as users see it in messages, e.g. "MatMul" (PyTorch prints MmBackward0).</summary>
    public string Name { get; }

    /// <summary>Creation order; later nodes are processed first in backward.</summary>
    internal long Sequence { get; }

    internal Tensor[] Inputs { get; private set; }

    /// <summary>True once the graph through this node was freed by a backward pass.</summary>
    public bool IsReleased => backward is null;

    internal Tensor?[] Apply(Tensor gradOutput)
    {
        var f = backward ?? throw new InvalidOperationException(
            $"Trying to backward through the graph a second time (through {Name}): its saved tensors were freed by the first Backward(). " +
            "Call Backward(retainGraph: true) the first time if you need to backward through it again.");
        return f(gradOutput);
    }

    internal void Release()
    {
        backward = null;
        Inputs = [];
    }

    /// <inheritdoc/>
    public override string ToString() => $"<{Name}Backward>";
}
