using Axon.Tracing;
using Onnx;

namespace Axon.Onnx;

// Views, copies and indexing: reshapes (with the batch left open), permutations, slices, padding, squeezes, broadcasts,
// concatenation and gathers.
internal sealed partial class Exporter
{
    private void EmitShapeOrLayer(TraceNode node)
    {
        switch (node.Op)
        {
            case "Reshape" or "View": g.Add("Reshape", [In(0), g.Shape(Dims(node.Outputs[0]), inferOne: true)], Out()); break;
            case "Permute": g.Add("Transpose", [In(0)], Out(), OnnxAttr.Ints("perm", At.Get<int[]>("dims").Select(d => (long)Axis(d, Rank(0))).ToArray())); break;
            case "Transpose": Transpose(); break;
            case "Narrow": Narrow(); break;
            case "Select": g.Add("Gather", [In(0), g.Int64Scalar(At.Get<int>("index"))], Out(), OnnxAttr.Int("axis", Axis(At.Get<int>("dim"), Rank(0)))); break;
            case "NarrowScatter": NarrowScatter(); break;
            case "Squeeze": Squeeze(); break;
            case "Unsqueeze": g.Add("Unsqueeze", [In(0), g.Int64s(Axis(At.Get<int>("dim"), Rank(0) + 1))], Out()); break;
            case "Expand": Expand(); break;
            case "SumTo": SumTo(); break;
            case "Contiguous" or "Clone" or "Detach" or "ToDevice": g.Add("Identity", [In(0)], Out()); break;
            case "To": g.Add("Cast", [In(0)], Out(), OnnxAttr.Int("to", (long)TensorData.TypeOf(At.Get<DType>("dtype")))); break;
            case "Cat": g.Add("Concat", node.Inputs.Select(Name), Out(), OnnxAttr.Int("axis", Axis(At.Get<int>("dim"), Rank(0)))); break;
            case "Gather": g.Add("GatherElements", [In(0), In(1)], Out(), OnnxAttr.Int("axis", Axis(At.Get<int>("dim"), Rank(0)))); break;
            case "IndexSelect": g.Add("Gather", [In(0), In(1)], Out(), OnnxAttr.Int("axis", Axis(At.Get<int>("dim"), Rank(0)))); break;
            case "ScatterAdd": g.Add("ScatterElements", [In(0), In(1), In(2)], Out(), OnnxAttr.Int("axis", Axis(At.Get<int>("dim"), Rank(0))), OnnxAttr.String("reduction", "add")); break;
            case "OneHot": OneHot(); break;
            case "Embedding": Embedding(); break;
            default: EmitLayer(node); break;
        }
    }

    private static int Axis(int d, int rank) => d < 0 ? d + rank : d;

    private void Transpose()
    {
        int rank = Rank(0), d0 = Axis(At.Get<int>("dim0"), rank), d1 = Axis(At.Get<int>("dim1"), rank);
        var perm = Enumerable.Range(0, rank).Select(i => (long)(i == d0 ? d1 : i == d1 ? d0 : i)).ToArray();
        g.Add("Transpose", [In(0)], Out(), OnnxAttr.Ints("perm", perm));
    }

    private void Narrow()
    {
        int d = Axis(At.Get<int>("dim"), Rank(0)), start = At.Get<int>("start"), length = At.Get<int>("length");
        if (Dims(current.Outputs[0])[d].IsDynamic) throw Unsupported("it slices along the batch dimension");
        g.Add("Slice", [In(0), g.Int64s(start), g.Int64s(start + length), g.Int64s(d)], Out());
    }

    /// <summary>x written into zeros of a larger shape at an offset along one dimension: zero padding.</summary>
    private void NarrowScatter()
    {
        int rank = Rank(0), d = Axis(At.Get<int>("dim"), rank), start = At.Get<int>("start");
        var full = Dims(current.Outputs[0]);
        if (full[d].IsDynamic) throw Unsupported("it pads along the batch dimension");
        var pads = new long[2 * rank];
        pads[d] = start;
        pads[rank + d] = full[d].Size - start - current.Inputs[0].Shape[d];
        g.Add("Pad", [In(0), g.Int64s(pads)], Out(), OnnxAttr.String("mode", "constant"));
    }

    private void Squeeze()
    {
        var dims = Dims(current.Inputs[0]);
        var dim = At.Get<int?>("dim");
        long[] axes = dim is int d ? [Axis(d, dims.Length)] : Enumerable.Range(0, dims.Length).Where(i => !dims[i].IsDynamic && dims[i].Size == 1).Select(i => (long)i).ToArray();
        // Squeezing a dimension that is not 1 leaves the tensor as it is (as PyTorch).
        axes = axes.Where(i => !dims[i].IsDynamic && dims[i].Size == 1).ToArray();
        if (axes.Length == 0) g.Add("Identity", [In(0)], Out());
        else g.Add("Squeeze", [In(0), g.Int64s(axes)], Out());
    }

    /// <summary>A broadcast: dimensions the input already has at the batch's size stay (1 in Expand's shape); others are spelled out.</summary>
    private void Expand()
    {
        var input = Dims(current.Inputs[0]);
        var target = Dims(current.Outputs[0]);
        int offset = target.Length - input.Length;
        var shape = target.Select((d, i) => d.IsDynamic && i >= offset && input[i - offset] == d ? new Dim(1, 0) : d).ToArray();
        g.Add("Expand", [In(0), g.Shape(shape, inferOne: false)], Out());
    }

    /// <summary>The sum that undoes a broadcast: over the leading dimensions and those that were 1, to the target shape.</summary>
    private void SumTo()
    {
        var input = Dims(current.Inputs[0]);
        var target = Dims(current.Outputs[0]);
        int offset = input.Length - target.Length;
        var axes = Enumerable.Range(0, input.Length).Where(i => i < offset || input[i] != target[i - offset]).Select(i => (long)i).ToArray();
        if (axes.Length == 0)
        {
            g.Add("Identity", [In(0)], Out());
            return;
        }
        var summed = g.Add("ReduceSum", [In(0), g.Int64s(axes)], null, OnnxAttr.Int("keepdims", 1));
        g.Add("Reshape", [summed, g.Shape(target, inferOne: true)], Out());
    }

    private void OneHot()
    {
        var dtype = At.Get<DType>("dtype");
        var values = TensorData.Of(g.Fresh("onehot_values"), Tensor.FromArray(new double[] { 0, 1 }, 2).To(dtype));
        g.Graph.Initializer.Add(values);
        g.Add("OneHot", [In(0), g.Int64s(At.Get<int>("num_classes")), values.Name], Out(), OnnxAttr.Int("axis", -1));
    }

    /// <summary>An embedding lookup: rows of the table (the second input) gathered by the indices (the first).</summary>
    private void Embedding()
    {
        if (At.Get<double?>("max_norm") is not null) throw Unsupported("max_norm renormalises the table's rows as it reads them");
        g.Add("Gather", [In(1), In(0)], Out(), OnnxAttr.Int("axis", 0));
    }
}
