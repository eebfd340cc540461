using System.Runtime.CompilerServices;

namespace Axon;

/// <summary>
/// Reverse-mode differentiation over the recorded graph. One pass orders the nodes below the roots topologically, runs
/// each node's backward once with the summed gradients of its outputs, and either accumulates the leaves' gradients
/// into their <see cref="Tensor.Grad"/> (<see cref="Backward"/>) or hands back the gradients of chosen tensors
/// (<see cref="Grad"/>). Every leaf gradient goes through this class: an op may write one in place (a GEMM with
/// beta = 1, see <see cref="AccumulationBuffer"/>), but only into a buffer the engine hands out and accounts for, so
/// the post-accumulate hooks fire once a leaf's last contribution has arrived, whoever wrote it. With createGraph the
/// backward functions run with recording on, so the gradients are themselves differentiable.
/// </summary>
internal static class Engine
{
    [ThreadStatic] private static Pass? current;

    private sealed class Pass(bool accumulate, bool createGraph)
    {
        public readonly bool Accumulate = accumulate, CreateGraph = createGraph;
        public readonly List<Tensor> HandedOut = [];

        /// <summary>Sums this pass made and holds alone in a slot: later gradients for the same slot are added into them in place.</summary>
        public readonly HashSet<Tensor> Sums = new(ReferenceEqualityComparer.Instance);
    }

    /// <summary>Accumulates the gradients of <paramref name="roots"/> (seeded by <paramref name="grads"/>, ones for scalars) into the leaves.</summary>
    public static void Backward(IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor?>? grads, bool retainGraph, bool createGraph)
    {
        var seeds = Seeds("Backward", roots, grads);
        Run(roots, seeds, captures: null, retainGraph, createGraph);
    }

    /// <summary>The gradients of <paramref name="outputs"/> with respect to <paramref name="inputs"/>, without touching any <see cref="Tensor.Grad"/>.</summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs, IReadOnlyList<Tensor?>? gradOutputs, bool retainGraph, bool createGraph, bool allowUnused)
    {
        for (int i = 0; i < inputs.Count; i++)
            if (!inputs[i].RequiresGrad)
                throw new InvalidOperationException($"Grad: input {i} {ShapeUtil.Format(inputs[i].ShapeArray)} does not require grad, so no gradient can be computed for it.");
        var seeds = Seeds("Grad", outputs, gradOutputs);
        var captures = new Dictionary<Tensor, Tensor?>(ReferenceEqualityComparer.Instance);
        foreach (var t in inputs) captures[t] = null;
        Run(outputs, seeds, captures, retainGraph, createGraph);
        var result = new Tensor?[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            result[i] = captures[inputs[i]];
            if (result[i] is null && !allowUnused)
                throw new InvalidOperationException($"Grad: input {i} {ShapeUtil.Format(inputs[i].ShapeArray)} was not used to compute the outputs; pass allowUnused: true to get null for it.");
        }
        return result;
    }

    private static Tensor[] Seeds(string op, IReadOnlyList<Tensor> roots, IReadOnlyList<Tensor?>? grads)
    {
        if (grads is not null && grads.Count != roots.Count) throw new ArgumentException($"{op}: {roots.Count} outputs but {grads.Count} output gradients.", nameof(grads));
        var seeds = new Tensor[roots.Count];
        for (int i = 0; i < roots.Count; i++)
        {
            var root = roots[i];
            if (!root.RequiresGrad)
                throw new InvalidOperationException($"{op}: the tensor does not require grad and has no GradFn (did you compute it under NoGrad, or forget RequiresGrad on the inputs?).");
            var gradient = grads?[i];
            if (gradient is null)
            {
                if (root.NumEl != 1) throw new InvalidOperationException($"{op}: a gradient can be implicitly created only for scalar outputs; this tensor has shape {ShapeUtil.Format(root.ShapeArray)}, so pass Backward(gradient).");
                seeds[i] = Tensor.OnesLike(root);
                continue;
            }
            if (!ShapeUtil.SameShape(gradient.ShapeArray, root.ShapeArray))
                throw new ArgumentException($"{op}: gradient shape {ShapeUtil.Format(gradient.ShapeArray)} does not match the tensor's shape {ShapeUtil.Format(root.ShapeArray)}.", nameof(grads));
            seeds[i] = gradient.DType == root.DType && ReferenceEquals(gradient.Device, root.Device) ? gradient : gradient.CloneTo(root.Device, root.DType);
        }
        return seeds;
    }

    private static void Run(IReadOnlyList<Tensor> roots, Tensor[] seeds, Dictionary<Tensor, Tensor?>? captures, bool retainGraph, bool createGraph)
    {
        var pass = new Pass(accumulate: captures is null, createGraph);
        var saved = current;
        current = pass;
        try
        {
            using var mode = createGraph ? null : GradMode.NoGrad();
            var grads = new Dictionary<Node, Tensor?[]>(ReferenceEqualityComparer.Instance);
            // Non-leaf tensors whose gradient is kept (RetainGrad) or captured (Grad), by the node output they come from.
            var watched = new Dictionary<(Node, int), List<Tensor>>();
            var rootNodes = new List<Node>();
            for (int i = 0; i < roots.Count; i++)
            {
                var root = roots[i];
                if (root.GradFn is null) { Deliver(pass, root, seeds[i], captures); continue; }
                Add(pass, grads, root.GradFn, root.OutputNr, seeds[i]);
                Watch(watched, root, captures);
                rootNodes.Add(root.GradFn);
            }
            var order = TopologicalOrder(rootNodes);
            var needed = captures is null ? null : Needed(order, captures);
            // How many edges into each leaf this pass will walk: a leaf's hooks fire when the last one is done.
            var edges = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
            var contributed = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            if (pass.Accumulate)
                foreach (var node in order)
                    foreach (var input in node.InputArray)
                        if (input.GradFn is null && input.RequiresGrad) edges[input] = edges.GetValueOrDefault(input) + 1;

            foreach (var node in order)
            {
                grads.Remove(node, out var g);
                if (g is not null)
                    foreach (var gk in g)
                        if (gk is not null) pass.Sums.Remove(gk);   // handed to the node now: no longer the engine's alone
                var inputs = node.InputArray;
                bool run = g is not null && (needed is null || needed.Contains(node));
                if (run)
                {
                    for (int k = 0; k < g!.Length; k++)
                        if (g[k] is { } gk && watched.TryGetValue((node, k), out var owners))
                            foreach (var owner in owners) Deliver(pass, owner, gk, captures, retained: captures is null);
                    pass.HandedOut.Clear();
                    var inputGrads = node.Apply(g);
                    if (inputGrads.Length != inputs.Length) throw new InvalidOperationException($"{node.Op} backward returned {inputGrads.Length} gradients for {inputs.Length} inputs.");
                    for (int i = 0; i < inputs.Length; i++)
                    {
                        var input = inputs[i];
                        var ig = inputGrads[i];
                        if (ig is null || !input.RequiresGrad) continue;
                        ig = Conform(node, i, ig, input);
                        if (input.GradFn is null)
                        {
                            Deliver(pass, input, ig, captures);
                            contributed.Add(input);
                            continue;
                        }
                        Add(pass, grads, input.GradFn, input.OutputNr, ig);
                        Watch(watched, input, captures);
                    }
                    foreach (var leaf in pass.HandedOut) contributed.Add(leaf);
                }
                if (pass.Accumulate)
                    foreach (var input in inputs)
                    {
                        if (input.GradFn is not null || !input.RequiresGrad) continue;
                        int left = edges[input] - 1;
                        edges[input] = left;
                        if (left == 0 && contributed.Contains(input)) input.RunPostAccumulateHooks();
                    }
                if (!retainGraph) node.Release();
            }
        }
        finally
        {
            current = saved;
        }
    }

    /// <summary>A gradient in its input's dtype and device (an op on mixed types computes in the promoted one, as in PyTorch), checked.</summary>
    private static Tensor Conform(Node node, int index, Tensor g, Tensor input)
    {
        if (g.DType != input.DType || !ReferenceEquals(g.Device, input.Device)) g = g.CloneTo(input.Device, input.DType);
        if (!ShapeUtil.SameShape(g.ShapeArray, input.ShapeArray))
            throw new InvalidOperationException($"{node.Op} backward produced a gradient of shape {ShapeUtil.Format(g.ShapeArray)} for an input of shape {ShapeUtil.Format(input.ShapeArray)}.");
        if (GradMode.IsAnomalyEnabled) CheckFinite(node, index, g);
        return g;
    }

    private static void Add(Pass pass, Dictionary<Node, Tensor?[]> grads, Node node, int output, Tensor g)
    {
        if (!grads.TryGetValue(node, out var slots)) grads[node] = slots = new Tensor?[node.OutputCount];
        var prev = slots[output];
        if (prev is null) { slots[output] = g; return; }
        // Summed with recording only when the gradients must be differentiable themselves. A sum the engine made earlier
        // is nobody else's, so the next gradient goes into it in place (a dense block's features collect one gradient
        // from every later layer): the same values, without a fresh tensor per contribution.
        if (pass.CreateGraph) slots[output] = prev + g;
        else if (pass.Sums.Contains(prev)) Backends.Compute.AddInPlace(prev, g);
        else pass.Sums.Add(slots[output] = Backends.Compute.Binary(prev, g, Backends.BinaryOp.Add, "Add"));
    }

    private static void Watch(Dictionary<(Node, int), List<Tensor>> watched, Tensor t, Dictionary<Tensor, Tensor?>? captures)
    {
        if (!(t.RetainsGrad || (captures?.ContainsKey(t) ?? false))) return;
        var key = (t.GradFn!, t.OutputNr);
        if (!watched.TryGetValue(key, out var list)) watched[key] = list = [];
        if (!list.Contains(t, ReferenceEqualityComparer.Instance)) list.Add(t);
    }

    /// <summary>A gradient reaching a leaf (or a watched non-leaf): captured for Grad, or accumulated into its Grad.</summary>
    private static void Deliver(Pass pass, Tensor t, Tensor g, Dictionary<Tensor, Tensor?>? captures, bool retained = false)
    {
        if (captures is not null)
        {
            if (!captures.TryGetValue(t, out var prev)) return;
            captures[t] = prev is null ? g : pass.CreateGraph ? prev + g : Backends.Compute.Binary(prev, g, Backends.BinaryOp.Add, "Add");
            return;
        }
        if (t.GradFn is not null && !retained) return;
        Accumulate(t, g, pass.CreateGraph);
    }

    /// <summary>Adds g into t.Grad: in place, or (createGraph) as a recorded sum so the gradient stays differentiable.</summary>
    private static void Accumulate(Tensor t, Tensor g, bool createGraph)
    {
        if (createGraph)
        {
            t.Grad = t.Grad is null || t.Grad.IsDisposed ? g : t.Grad + g;
            return;
        }
        if (t.Grad is null || t.Grad.IsDisposed) t.Grad = TensorScope.Unscoped(g.CloneData);
        else Backends.Compute.AxpyInPlace(t.Grad, 1, g);
    }

    /// <summary>The nodes that lead to a captured tensor (the only ones Grad runs).</summary>
    private static HashSet<Node> Needed(List<Node> order, Dictionary<Tensor, Tensor?> captures)
    {
        var needed = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        foreach (var t in captures.Keys)
            if (t.GradFn is not null) needed.Add(t.GradFn);
        // Reverse topological order: every node comes after the nodes it feeds, so its inputs' nodes are settled.
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var node = order[i];
            if (needed.Contains(node)) continue;
            foreach (var input in node.InputArray)
                if ((input.GradFn is null && captures.ContainsKey(input)) || (input.GradFn is not null && needed.Contains(input.GradFn)))
                {
                    needed.Add(node);
                    break;
                }
        }
        return needed;
    }

    private static void CheckFinite(Node node, int index, Tensor g)
    {
        foreach (double v in g.ToDoubleArray())
            if (!double.IsFinite(v))
                throw new InvalidOperationException($"Anomaly detected: function '{node.Op}Backward' returned {(double.IsNaN(v) ? "nan" : "inf")} values in its gradient for input {index}.");
    }

    /// <summary>
    /// Lets a backward write a leaf's gradient straight into its <see cref="Tensor.Grad"/> (e.g. a GEMM with beta = 1)
    /// instead of returning a temporary the engine would then add. Gives the destination and the beta that keeps
    /// PyTorch's accumulation: the existing gradient with <paramref name="beta"/> = 1, or, when there is none (or it was
    /// disposed), a fresh uninitialised one outside any <see cref="TensorScope"/> with beta = 0, which the caller must
    /// overwrite entirely. The engine counts the write as the leaf's contribution from the running node (its hooks fire
    /// as for any other), so a backward that writes into it returns null for that input. Returns null (the ordinary
    /// path) outside an accumulating pass, with createGraph or anomaly detection, when <paramref name="leaf"/> is not a
    /// leaf that requires grad, when the existing gradient is not a contiguous tensor of the leaf's shape, type and
    /// device, or when it shares memory with one of the <paramref name="sources"/> the product reads.
    /// </summary>
    internal static Tensor? AccumulationBuffer(Tensor leaf, out double beta, params ReadOnlySpan<Tensor> sources)
    {
        beta = 0;
        var pass = current;
        if (pass is null || !pass.Accumulate || pass.CreateGraph || !leaf.IsLeaf || !leaf.RequiresGrad || GradMode.IsAnomalyEnabled) return null;
        var grad = leaf.Grad;
        if (grad is null || grad.IsDisposed)
        {
            var fresh = TensorScope.Unscoped(() => Tensor.Empty((int[])leaf.ShapeArray.Clone(), leaf.DType, leaf.Device));
            leaf.Grad = fresh;
            pass.HandedOut.Add(leaf);
            return fresh;
        }
        if (grad.DType != leaf.DType || !ReferenceEquals(grad.Device, leaf.Device) || !grad.IsContiguous || !ShapeUtil.SameShape(grad.ShapeArray, leaf.ShapeArray)) return null;
        foreach (var s in sources)
            if (s.SharesMemoryWith(grad)) return null;
        beta = 1;
        pass.HandedOut.Add(leaf);
        return grad;
    }

    /// <summary>Nodes reachable from <paramref name="roots"/>, each after every node that consumes its outputs.</summary>
    private static List<Node> TopologicalOrder(List<Node> roots)
    {
        var visited = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var post = new List<Node>();
        var stack = new Stack<(Node Node, int Next)>();
        foreach (var root in roots)
        {
            if (!visited.Add(root)) continue;
            stack.Push((root, 0));
            while (stack.Count > 0)
            {
                var (node, next) = stack.Pop();
                var inputs = node.InputArray;
                if (next < inputs.Length)
                {
                    stack.Push((node, next + 1));
                    var child = inputs[next].GradFn;
                    if (child is not null && visited.Add(child)) stack.Push((child, 0));
                    continue;
                }
                post.Add(node);
            }
        }
        post.Reverse();
        return post;
    }
}
