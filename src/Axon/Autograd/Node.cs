namespace Axon;

/// <summary>
/// One recorded operation in the autograd graph: what it was (<see cref="Op"/> and its <see cref="Attributes"/>), the
/// tensors it read (<see cref="Inputs"/>, differentiable or not, in the op's argument order), the shapes of what it
/// produced, and the function that maps the gradients of its outputs to gradients of its inputs. The graph can be
/// walked and read (<see cref="Tensor.GradFn"/>, then each input's <c>GradFn</c>); it is freed (the backward function
/// and the tensors it saved are dropped) after a backward pass unless the pass asks to retain it.
/// </summary>
public sealed class Node
{
    // A single-output op (nearly all of them) keeps its backward, shape and dtype unwrapped: a node is made for every op
    // of every training step, so what it allocates is paid on every step.
    private Func<Tensor?[], Tensor?[]>? backward;
    private Func<Tensor, Tensor?[]>? single;
    private Tensor[] inputs;
    private readonly int[][]? outputShapes;
    private readonly DType[]? outputDTypes;
    private readonly int[] shape0;
    private readonly DType dtype0;
    private readonly Device device0;

    internal Node(string op, OpAttributes attributes, Tensor[] inputs, int[][] outputShapes, DType[] outputDTypes, Func<Tensor?[], Tensor?[]> backward)
    {
        Op = op;
        Attributes = attributes;
        this.inputs = inputs;
        this.outputShapes = outputShapes;
        this.outputDTypes = outputDTypes;
        shape0 = outputShapes[0];
        dtype0 = outputDTypes[0];
        device0 = Device.Cpu;
        this.backward = backward;
    }

    /// <summary>A node of one output, whose backward gets that output's gradient (zeros when it received none).</summary>
    internal Node(string op, OpAttributes attributes, Tensor[] inputs, Tensor output, Func<Tensor, Tensor?[]> backward)
    {
        Op = op;
        Attributes = attributes;
        this.inputs = inputs;
        shape0 = output.ShapeArray;
        dtype0 = output.DType;
        device0 = output.Device;
        single = backward;
    }

    /// <summary>The op's kind, e.g. "Conv2d" (PyTorch prints ConvolutionBackward0).</summary>
    public string Op { get; }

    /// <summary>The op's kind (the same as <see cref="Op"/>), as messages name it.</summary>
    public string Name => Op;

    /// <summary>The op's non-tensor arguments (stride, padding, dims, ...).</summary>
    public OpAttributes Attributes { get; }

    /// <summary>The tensors the op read, in its argument order (empty once the graph was freed).</summary>
    public IReadOnlyList<Tensor> Inputs => inputs;

    internal Tensor[] InputArray => inputs;

    /// <summary>The shape of each output.</summary>
    public IReadOnlyList<int[]> OutputShapes => outputShapes ?? [(int[])shape0.Clone()];

    /// <summary>The element type of each output.</summary>
    public IReadOnlyList<DType> OutputDTypes => outputDTypes ?? [dtype0];

    /// <summary>Number of outputs (1 for most ops).</summary>
    public int OutputCount => outputShapes?.Length ?? 1;

    /// <summary>True once the graph through this node was freed by a backward pass.</summary>
    public bool IsReleased => backward is null && single is null;

    /// <summary>Gradients of the inputs from the gradients of the outputs (null for an output that received none).</summary>
    internal Tensor?[] Apply(Tensor?[] gradOutputs)
    {
        if (single is not null) return single(gradOutputs[0] ?? Tensor.Zeros(shape0, dtype0, device0));
        var f = backward ?? throw new InvalidOperationException(
            $"Trying to backward through the graph a second time (through {Op}): its saved tensors were freed by the first Backward(). " +
            "Call Backward(retainGraph: true) the first time if you need to backward through it again.");
        return f(gradOutputs);
    }

    internal void Release()
    {
        backward = null;
        single = null;
        inputs = [];
    }

    /// <inheritdoc/>
    public override string ToString() => $"<{Op}Backward>";
}
