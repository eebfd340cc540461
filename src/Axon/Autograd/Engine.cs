namespace Axon;

/// <summary>
/// Reverse-mode differentiation: orders the graph below a tensor topologically, runs each node's
/// backward once with the sum of its output's gradients, accumulates into leaves, and frees the graph.
/// </summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient, bool retainGraph)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward: the tensor does not require grad and has no GradFn (did you compute it under NoGrad, or forget RequiresGrad on the inputs?).");
        Tensor seed;
        if (gradient is null)
        {
            if (root.NumEl != 1) throw new InvalidOperationException($"Backward: a gradient can be implicitly created only for scalar outputs; this tensor has shape {ShapeUtil.Format(root.ShapeArray)}, so pass Backward(gradient).");
            seed = Tensor.OnesLike(root);
        }
        else
        {
            if (!ShapeUtil.SameShape(gradient.ShapeArray, root.ShapeArray))
                throw new ArgumentException($"Backward: gradient shape {ShapeUtil.Format(gradient.ShapeArray)} does not match the tensor's shape {ShapeUtil.Format(root.ShapeArray)}.", nameof(gradient));
            seed = gradient.DType == root.DType ? gradient : gradient.ConvertData(root.DType);
        }

        using var noGrad = GradMode.NoGrad();
        if (root.GradFn is null) { Accumulate(root, seed); return; }

        var order = TopologicalOrder(root.GradFn);
        var grads = new Dictionary<Node, Tensor> { [root.GradFn] = seed };
        var owners = new Dictionary<Node, Tensor> { [root.GradFn] = root };
        foreach (var node in order)
        {
            if (!grads.Remove(node, out var g)) continue;
            if (owners.TryGetValue(node, out var owner) && owner.RetainsGrad) Accumulate(owner, g);
            var inputs = node.Inputs;
            var inputGrads = node.Apply(g);
            if (inputGrads.Length != inputs.Length) throw new InvalidOperationException($"{node.Name} backward returned {inputGrads.Length} gradients for {inputs.Length} inputs.");
            for (int i = 0; i < inputs.Length; i++)
            {
                var input = inputs[i];
                var ig = inputGrads[i];
                if (ig is null || !input.RequiresGrad) continue;
                // An op on mixed dtypes computes in the promoted type; the input's gradient has the input's type (as in PyTorch).
                if (ig.DType != input.DType) ig = ig.ConvertData(input.DType);
                if (!ShapeUtil.SameShape(ig.ShapeArray, input.ShapeArray))
                    throw new InvalidOperationException($"{node.Name} backward produced a gradient of shape {ShapeUtil.Format(ig.ShapeArray)} for an input of shape {ShapeUtil.Format(input.ShapeArray)}.");
                if (GradMode.IsAnomalyEnabled) CheckFinite(node, i, ig);
                if (input.GradFn is null) { Accumulate(input, ig); continue; }
                owners[input.GradFn] = input;
                grads[input.GradFn] = grads.TryGetValue(input.GradFn, out var prev) ? prev + ig : ig;
            }
            if (!retainGraph) node.Release();
        }
    }

    private static void CheckFinite(Node node, int index, Tensor g)
    {
        foreach (double v in g.ToDoubleArray())
            if (!double.IsFinite(v))
                throw new InvalidOperationException($"Anomaly detected: function '{node.Name}Backward' returned {(double.IsNaN(v) ? "nan" : "inf")} values in its gradient for input {index}.");
    }

    /// <summary>Adds g into t.Grad, allocating the gradient outside any TensorScope the first time.</summary>
    private static void Accumulate(Tensor t, Tensor g)
    {
        if (t.Grad is null || t.Grad.IsDisposed) t.Grad = TensorScope.Unscoped(g.CloneData);
        else Compute.AxpyInPlace(t.Grad, 1, g);
    }

    /// <summary>
    /// Lets a backward write a leaf's gradient straight into its <see cref="Tensor.Grad"/> (e.g. a GEMM with beta = 1)
    /// instead of returning a temporary that <see cref="Accumulate"/> would then add. Gives the destination and the
    /// beta that keeps PyTorch's accumulation: the existing gradient with <paramref name="beta"/> = 1, or, when there
    /// is none (or it was disposed), a fresh uninitialised one outside any <see cref="TensorScope"/> with beta = 0,
    /// which the caller must overwrite entirely. A backward that writes into it returns null for that input.
    /// Returns null (ordinary path) when <paramref name="leaf"/> is not a leaf that requires grad, when anomaly
    /// detection has to check the gradient, when the existing gradient is not a contiguous tensor of the leaf's
    /// shape and type, or when it shares memory with one of the <paramref name="sources"/> the product reads.
    /// </summary>
    internal static Tensor? DirectLeafGrad(Tensor leaf, out double beta, params ReadOnlySpan<Tensor> sources)
    {
        beta = 0;
        if (!leaf.IsLeaf || !leaf.RequiresGrad || GradMode.IsAnomalyEnabled) return null;
        var grad = leaf.Grad;
        if (grad is null || grad.IsDisposed)
        {
            var fresh = TensorScope.Unscoped(() => Tensor.Empty((int[])leaf.ShapeArray.Clone(), leaf.DType, leaf.Device));
            leaf.Grad = fresh;
            return fresh;
        }
        if (grad.DType != leaf.DType || !grad.IsContiguous || !ShapeUtil.SameShape(grad.ShapeArray, leaf.ShapeArray)) return null;
        foreach (var s in sources)
            if (ReferenceEquals(s.Storage, grad.Storage)) return null;
        beta = 1;
        return grad;
    }

    /// <summary>Nodes reachable from <paramref name="root"/>, each after every node that consumes its output.</summary>
    private static List<Node> TopologicalOrder(Node root)
    {
        var visited = new HashSet<Node>();
        var post = new List<Node>();
        var stack = new Stack<(Node Node, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            var inputs = node.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((node, next + 1));
                var child = inputs[next].GradFn;
                if (child is not null && visited.Add(child)) stack.Push((child, 0));
                continue;
            }
            post.Add(node);
        }
        post.Reverse();
        return post;
    }
}
