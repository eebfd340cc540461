namespace Axon.Nn;

/// <summary>Runs its children in order, each on the previous one's output. Children are named "0", "1", ... as in PyTorch.</summary>
/// <remarks>
/// <para>
/// A <see cref="ReLU"/> directly followed by a <see cref="MaxPool2d"/> runs as the pooling first and the ReLU on its
/// output, which is 4 to 9 times smaller for the usual 2x2 and 3x3 pools: relu(maxpool(x)) equals maxpool(relu(x)),
/// and the input gradient is the same too, to the bit. Per window with maximum m (the first maximum in row-major order,
/// or the last NaN, which both kernels choose): when m &gt; 0, ReLU keeps m and zeroes only smaller elements, so the
/// window's first maximum of relu(x) is the first maximum of x, and both orders route the output gradient to it and
/// let it through ReLU's gate (x &gt; 0) unchanged. When m &lt;= 0 (or m is -inf), relu(x) is all +0, the output is
/// +0 either way (ReLU turns -0 into +0), and the gradient is +0 either way: the unfused order sends it to an element
/// &lt;= 0 whose ReLU gate blocks it, the fused one blocks it at the gate of m &lt;= 0. When the window holds a NaN,
/// ReLU leaves NaNs as they are, so both orders output the window's last NaN and route the gradient to it, where
/// ReLU's gate (NaN &gt; 0 is false) blocks it. The gradients that pass are added in output order in both cases,
/// and the blocked ones add +0 to sums that start from +0, which changes nothing.
/// </para>
/// <para>
/// The pair runs unfused, as two calls, when either module has a forward hook (the hook must see the ReLU's own
/// output), or when some pooling window would hold only padding (its -inf would become 0 after the ReLU), or when
/// the pooling would reject the input (so the error is the unfused one). The fused pair is one op of its own,
/// <see cref="Tensor.ReluMaxPool2d"/>, so the autograd graph and a trace both show what runs: one ReluMaxPool2d node
/// where the module lists a ReLU and a MaxPool2d; values and gradients are unchanged.
/// </para>
/// <para>
/// A <see cref="Conv2d"/> (zero padding) before such a pair, on a batched input, joins it: one
/// <see cref="Tensor.Conv2dReluMaxPool2d"/> op, with the composite's values and gradients. Its gradients need only the
/// pooled output and each window's argmax, so the convolution's output is not kept for backward, and the CPU pools each
/// sample's convolution while it is in cache instead of storing it (see <see cref="Backends.IBackend.Conv2dReluMaxPool2d"/>).
/// </para>
/// </remarks>
public sealed class Sequential : Module<Tensor, Tensor>
{
    private readonly List<Module<Tensor, Tensor>> layers = [];

    /// <summary>Creates the container from layers in order.</summary>
    public Sequential(params Module<Tensor, Tensor>[] modules)
    {
        foreach (var m in modules) Append(m);
    }

    /// <summary>Creates the container from named layers (state-dict keys use these names).</summary>
    public Sequential(IEnumerable<(string Name, Module<Tensor, Tensor> Module)> modules)
    {
        foreach (var (name, m) in modules) { RegisterModule(name, m); layers.Add(m); }
    }

    /// <summary>Adds a layer at the end.</summary>
    public Sequential Append(Module<Tensor, Tensor> module)
    {
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    /// <summary>Number of layers.</summary>
    public int Count => layers.Count;

    /// <summary>The layer at <paramref name="index"/>.</summary>
    public Module<Tensor, Tensor> this[int index] => layers[index];

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is Conv2d conv && i + 2 < layers.Count && layers[i + 1] is ReLU convRelu && layers[i + 2] is MaxPool2d convPool
                && !conv.HasForwardHooks && !convRelu.HasForwardHooks && !convPool.HasForwardHooks && conv.ForwardReluMaxPool(x, convPool) is { } pooled)
            {
                x = pooled;   // one Conv2dReluMaxPool2d op: the same values and gradients, the convolution's output never stored
                i += 2;
                continue;
            }
            if (layers[i] is ReLU relu && i + 1 < layers.Count && layers[i + 1] is MaxPool2d pool
                && !relu.HasForwardHooks && !pool.HasForwardHooks && pool.CommutesWithRelu(x))
            {
                x = pool.ForwardAfterRelu(x);   // see the remarks: the same values and gradients, less work
                i++;
                continue;
            }
            if (layers[i] is BatchNormBase bn && i + 1 < layers.Count && layers[i + 1] is ReLU after
                && !bn.HasForwardHooks && !after.HasForwardHooks)
            {
                x = bn.ForwardAct(x, null, relu: true);   // one BatchNormAct op: the same values and gradients
                i++;
                continue;
            }
            x = layers[i].Call(x);
        }
        return x;
    }
}

/// <summary>Returns its input unchanged.</summary>
public sealed class Identity : Module<Tensor, Tensor>
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input;
}

/// <summary>Flattens dimensions startDim..endDim (default: all but the batch dimension). Shape: [N, *] -> [N, prod(*)].</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module<Tensor, Tensor>
{
    /// <summary>First dimension to flatten.</summary>
    public int StartDim { get; } = startDim;

    /// <summary>Last dimension to flatten.</summary>
    public int EndDim { get; } = endDim;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}

/// <summary>
/// Unflattens dimension <see cref="Dim"/> of the input into <see cref="UnflattenedSize"/> (torch.nn.Unflatten), the inverse
/// of <see cref="Flatten"/>: [N, 12] with dim 1 and sizes (3, 4) gives [N, 3, 4]. One size may be -1 (inferred).
/// </summary>
public sealed class Unflatten : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer; <paramref name="unflattenedSize"/> must be non-empty with at most one -1.</summary>
    public Unflatten(int dim, params int[] unflattenedSize)
    {
        ArgumentNullException.ThrowIfNull(unflattenedSize);
        if (unflattenedSize.Length == 0) throw new ArgumentException("Unflatten: unflattened_size must be non-empty.", nameof(unflattenedSize));
        if (unflattenedSize.Count(s => s == -1) > 1 || unflattenedSize.Any(s => s < -1))
            throw new ArgumentException($"Unflatten: unflattened_size ({string.Join(", ", unflattenedSize)}) may hold one -1 and otherwise non-negative sizes.", nameof(unflattenedSize));
        Dim = dim;
        UnflattenedSize = (int[])unflattenedSize.Clone();
    }

    /// <summary>The dimension to unflatten (negative counts from the end).</summary>
    public int Dim { get; }

    /// <summary>The sizes that dimension is split into.</summary>
    public IReadOnlyList<int> UnflattenedSize { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var shape = input.GetShape();
        int d = Dim < 0 ? Dim + shape.Length : Dim;
        if (d < 0 || d >= shape.Length)
            throw new ArgumentOutOfRangeException(nameof(input), $"Unflatten: dim {Dim} is out of range for an input of {shape.Length} dimensions [{string.Join(", ", shape)}].");
        long known = 1;
        foreach (var s in UnflattenedSize) if (s != -1) known *= s;
        bool infer = UnflattenedSize.Contains(-1);
        if (infer ? known == 0 || shape[d] % known != 0 : known != shape[d])
            throw new ArgumentException($"Unflatten: unflattened_size ({string.Join(", ", UnflattenedSize)}) does not match the size {shape[d]} of dim {Dim} of the input [{string.Join(", ", shape)}].", nameof(input));
        int[] newShape = [.. shape[..d], .. UnflattenedSize.Select(s => s == -1 ? (int)(shape[d] / known) : s), .. shape[(d + 1)..]];
        return input.Reshape(newShape);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"dim={Dim}, unflattened_size=({string.Join(", ", UnflattenedSize)}{(UnflattenedSize.Count == 1 ? "," : "")})";
}
