namespace Axon.Tracing;

/// <summary>
/// Runs a recorded op again from its kind, inputs and attributes, through the same public ops that recorded it (so a
/// traced graph reproduces its function to the bit). This table is also the proof that the attributes are complete:
/// an op missing here, or missing an attribute, cannot be replayed.
/// </summary>
internal static class OpReplay
{
    public static Tensor[] Run(string op, Tensor[] x, OpAttributes a)
    {
        if (a.Has("function")) return a.Get<Function>("function").ApplyAll(x);
        return op switch
        {
            // Element-wise: a scalar operand is an attribute ("other", "exponent"; "reverse" for s - x and s / x).
            "Add" when x.Length == 1 => [x[0].Add(a.Get<double>("other"))],
            "Sub" when x.Length == 1 => [x[0].RSub(a.Get<double>("other"))],
            "Mul" when x.Length == 1 => [x[0].Mul(a.Get<double>("other"))],
            "Div" when x.Length == 1 => [a.Has("reverse") ? x[0].RDiv(a.Get<double>("other")) : x[0].Div(a.Get<double>("other"))],
            "Pow" when x.Length == 1 => [x[0].Pow(a.Get<double>("exponent"))],
            "Add" => [x[0] + x[1]],
            "Sub" => [x[0] - x[1]],
            "Mul" => [x[0] * x[1]],
            "Div" => [x[0] / x[1]],
            "Pow" => [x[0].Pow(x[1])],
            "Maximum" => [x[0].Maximum(x[1])],
            "Minimum" => [x[0].Minimum(x[1])],
            "Neg" => [x[0].Neg()],
            "Exp" => [x[0].Exp()],
            "Log" => [x[0].Log()],
            "Sqrt" => [x[0].Sqrt()],
            "Square" => [x[0].Square()],
            "Reciprocal" => [x[0].Reciprocal()],
            "Abs" => [x[0].Abs()],
            "Tanh" => [x[0].Tanh()],
            "Sigmoid" => [x[0].Sigmoid()],
            "Relu" => [x[0].Relu()],
            "Sign" => [x[0].Sign()],
            "Step" => [x[0].Step()],
            "LeakyRelu" => [x[0].LeakyRelu(a.Get<double>("negative_slope"))],
            "Clamp" => [x[0].Clamp(a.Get<double>("min"), a.Get<double>("max"))],
            "Softplus" => [x[0].Softplus(a.Get<double>("beta"), a.Get<double>("threshold"))],
            "Where" => [Tensor.Where(x[0], x[1], x[2])],
            "Eq" => [x.Length == 1 ? x[0].Eq(a.Get<double>("other")) : x[0].Eq(x[1])],
            "Ne" => [x.Length == 1 ? x[0].Ne(a.Get<double>("other")) : x[0].Ne(x[1])],
            "Lt" => [x.Length == 1 ? x[0].Lt(a.Get<double>("other")) : x[0].Lt(x[1])],
            "Le" => [x.Length == 1 ? x[0].Le(a.Get<double>("other")) : x[0].Le(x[1])],
            "Gt" => [x.Length == 1 ? x[0].Gt(a.Get<double>("other")) : x[0].Gt(x[1])],
            "Ge" => [x.Length == 1 ? x[0].Ge(a.Get<double>("other")) : x[0].Ge(x[1])],

            // Views and copies.
            "Reshape" => [x[0].Reshape(a.Get<int[]>("shape"))],
            "View" => [x[0].View(a.Get<int[]>("shape"))],
            "Permute" => [x[0].Permute(a.Get<int[]>("dims"))],
            "Transpose" => [x[0].Transpose(a.Get<int>("dim0"), a.Get<int>("dim1"))],
            "Narrow" => [x[0].Narrow(a.Get<int>("dim"), a.Get<int>("start"), a.Get<int>("length"))],
            "NarrowScatter" => [x[0].NarrowScatter(a.Get<int[]>("shape"), a.Get<int>("dim"), a.Get<int>("start"))],
            "Select" => [x[0].Select(a.Get<int>("dim"), a.Get<int>("index"))],
            "Squeeze" => [x[0].Squeeze(a.Get<int?>("dim"))],
            "Unsqueeze" => [x[0].Unsqueeze(a.Get<int>("dim"))],
            "Expand" => [x[0].Expand(a.Get<int[]>("shape"))],
            "SumTo" => [x[0].SumTo(a.Get<int[]>("shape"))],
            "Contiguous" => [x[0].Contiguous()],
            "Clone" => [x[0].Clone()],
            "Detach" => [x[0].Detach()],
            "To" => [x[0].To(a.Get<DType>("dtype"))],
            "ToDevice" => [x[0].To(a.Get<Device>("device"))],

            // Reductions.
            "Sum" => [x[0].Sum()],
            "SumDims" => [x[0].Sum(a.Get<int[]>("dims"), a.Get<bool>("keepdim"))],
            "Max" => [x[0].Max()],
            "Min" => [x[0].Min()],
            "MaxDim" => Pair(x[0].Max(a.Get<int>("dim"), a.Get<bool>("keepdim"))),
            "MinDim" => Pair(x[0].Min(a.Get<int>("dim"), a.Get<bool>("keepdim"))),
            "ArgMax" => [x[0].ArgMax(a.Get<int>("dim"), a.Get<bool>("keepdim"))],
            "ArgMin" => [x[0].ArgMin(a.Get<int>("dim"), a.Get<bool>("keepdim"))],
            "ArgMaxAll" => [x[0].ArgMax()],
            "Softmax" => [x[0].Softmax(a.Get<int>("dim"))],
            "LogSoftmax" => [x[0].LogSoftmax(a.Get<int>("dim"))],

            // Indexing.
            "Cat" => [Tensor.Cat(x, a.Get<int>("dim"))],
            "Gather" => [x[0].Gather(a.Get<int>("dim"), x[1])],
            "ScatterAdd" => [x[0].ScatterAdd(a.Get<int>("dim"), x[1], x[2])],
            "IndexSelect" => [x[0].IndexSelect(a.Get<int>("dim"), x[1])],
            "IndexAdd" => [x[0].IndexAdd(a.Get<int>("dim"), x[1], x[2])],
            "Embedding" => [Tensor.Embedding(x[0], x[1], a.Get<int?>("padding_idx"), a.Get<double?>("max_norm"), a.Get<double>("norm_type"))],
            "OneHot" => [x[0].OneHot(a.Get<int>("num_classes"), a.Get<DType>("dtype"))],

            // Layers.
            "MatMul" => [x[0].MatMul(x[1])],
            "Linear" => [Tensor.Linear(x[0], x[1], x.Length > 2 ? x[2] : null)],
            "Conv2d" => [Tensor.Conv2dOp(x[0], x[1], x.Length > 2 ? x[2] : null, Tensor.ConvParams(a))],
            "Conv2dInputGrad" => [Tensor.Conv2dInputGrad(x[0], x[1], a.Get<int[]>("input_shape"), Tensor.ConvParams(a))],
            "Conv2dWeightGrad" => [Tensor.Conv2dWeightGrad(x[0], x[1], a.Get<int[]>("weight_shape"), Tensor.ConvParams(a))],
            "MaxPool2d" => [Tensor.MaxPool2d(x[0], a.Get<Size2>("kernel_size"), a.Get<Size2>("stride"), a.Get<Size2>("padding"), a.Get<Size2>("dilation"), a.Get<bool>("ceil_mode"))],
            "MaxPool2dWithIndices" => Pair(Tensor.MaxPool2dWithIndices(x[0], a.Get<Size2>("kernel_size"), a.Get<Size2>("stride"), a.Get<Size2>("padding"), a.Get<Size2>("dilation"), a.Get<bool>("ceil_mode"))),
            "ReluMaxPool2d" => [Tensor.ReluMaxPool2d(x[0], a.Get<Size2>("kernel_size"), a.Get<Size2>("stride"), a.Get<Size2>("padding"), a.Get<Size2>("dilation"), a.Get<bool>("ceil_mode"))],
            "Conv2dReluMaxPool2d" => [Tensor.Conv2dReluMaxPool2dOp(x[0], x[1], x.Length > 2 ? x[2] : null, Tensor.ConvParams(a), a.Get<Size2>("pool_kernel_size"), a.Get<Size2>("pool_stride"),
                a.Get<Size2>("pool_padding"), a.Get<Size2>("pool_dilation"), a.Get<bool>("pool_ceil_mode"))
                ?? throw new InvalidOperationException("Conv2dReluMaxPool2d: the recorded pooling does not fuse with these inputs.")],
            "AvgPool2d" => [Tensor.AvgPool2d(x[0], a.Get<Size2>("kernel_size"), a.Get<Size2>("stride"), a.Get<Size2>("padding"), a.Get<bool>("ceil_mode"), a.Get<bool>("count_include_pad"))],
            "AdaptiveAvgPool2d" => [Tensor.AdaptiveAvgPool2d(x[0], a.Get<Size2>("output_size"))],
            "BatchNorm" => [BatchNorm(x, a)],
            "BatchNormAct" => [BatchNormAct(x, a)],
            "BinaryCrossEntropyWithLogits" => [Tensor.BinaryCrossEntropyWithLogits(x[0], x[1])],
            "CrossEntropy" => [Tensor.SoftmaxCrossEntropy(x[0], x[1], x.Length > 2 ? x[2] : null, a.Get<Reduction>("reduction"))],
            "RecurrentLayer" => RecurrentLayer(x, a),
            _ => throw new NotSupportedException($"TracedGraph.Run: the op '{op}' cannot be replayed (it is a backward-only op, or new and missing from OpReplay)."),
        };
    }

    private static Tensor[] Pair((Tensor First, Tensor Second) p) => [p.First, p.Second];

    private static Tensor[] RecurrentLayer(Tensor[] x, OpAttributes a)
    {
        var mode = a.Get<RecurrentMode>("mode");
        bool lstm = mode == RecurrentMode.Lstm;
        int i = lstm ? 3 : 2;
        var (o, h, c) = Recurrent.Layer(mode, x[0], x[1], lstm ? x[2] : null, x[i], x[i + 1], x.Length > i + 2 ? x[i + 2] : null, x.Length > i + 3 ? x[i + 3] : null,
            a.Get<bool>("reverse"), a.Get<int[]?>("lengths"));
        return c is null ? [o, h] : [o, h, c];
    }

    private static Tensor BatchNorm(Tensor[] x, OpAttributes a)
    {
        int i = 1;
        Tensor? Next(string flag) => a.Get<bool>(flag) ? x[i++] : null;
        var (mean, var, weight, bias) = (Next("has_running_mean"), Next("has_running_var"), Next("has_weight"), Next("has_bias"));
        return Tensor.BatchNorm(x[0], mean, var, weight, bias, a.Get<bool>("training"), a.Get<double>("momentum"), a.Get<double>("eps"));
    }

    private static Tensor BatchNormAct(Tensor[] x, OpAttributes a)
    {
        int i = 1;
        Tensor? Next(string flag) => a.Get<bool>(flag) ? x[i++] : null;
        var (mean, var, weight, bias, residual) = (Next("has_running_mean"), Next("has_running_var"), Next("has_weight"), Next("has_bias"), Next("has_residual"));
        return Tensor.BatchNormAct(x[0], mean, var, weight, bias, a.Get<bool>("training"), a.Get<double>("momentum"), a.Get<double>("eps"), residual, a.Get<bool>("relu"));
    }
}
