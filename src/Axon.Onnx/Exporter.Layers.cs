using Axon.Tracing;

namespace Axon.Onnx;

// Layers: linear maps, convolutions and transposed convolutions, pooling, batch normalisation (evaluation mode).
internal sealed partial class Exporter
{
    private void EmitLayer(TraceNode node)
    {
        switch (node.Op)
        {
            case "MatMul": g.Add("MatMul", [In(0), In(1)], Out()); break;
            case "Linear": Linear(); break;
            case "Conv2d": Conv(Out()); break;
            case "Conv2dInputGrad": ConvTranspose(); break;
            case "MaxPool2d": MaxPool(In(0), Out()); break;
            case "ReluMaxPool2d": MaxPool(g.Add("Relu", [In(0)]), Out()); break;
            case "Conv2dReluMaxPool2d": MaxPool(g.Add("Relu", [Conv(null)]), Out(), "pool_", ConvOutputShape()); break;
            case "AvgPool2d": AvgPool(); break;
            case "AdaptiveAvgPool2d": AdaptiveAvgPool(); break;
            case "BatchNorm": g.Add("BatchNormalization", BatchNormInputs(), Out(), OnnxAttr.Float("epsilon", At.Get<double>("eps"))); break;
            case "BatchNormAct": BatchNormAct(); break;
            case "RecurrentLayer": Recurrent(); break;
            case "MaxPool2dWithIndices": throw Unsupported("ONNX's MaxPool indices count positions differently; export the pooling without indices");
            case "CrossEntropy": throw Unsupported("it is a loss, computed in training, not a part of the model to deploy");
            default: throw Unsupported();
        }
    }

    /// <summary>y = x Wᵀ + b: Gemm for a matrix, MatMul (with the weight transposed) and Add for more dimensions.</summary>
    private void Linear()
    {
        bool bias = current.Inputs.Count > 2;
        if (Rank(0) == 2)
        {
            g.Add("Gemm", bias ? [In(0), In(1), In(2)] : [In(0), In(1)], Out(), OnnxAttr.Int("transB", 1));
            return;
        }
        var product = g.Add("MatMul", [In(0), g.Add("Transpose", [In(1)], null, OnnxAttr.Ints("perm", 1, 0))], bias ? null : Out());
        if (bias) g.Add("Add", [product, In(2)], Out());
    }

    private (Size2 Stride, int[] Padding, Size2 Dilation, int Groups) ConvSettings()
    {
        if (Rank(0) != 4) throw Unsupported("only batched [N, C, H, W] inputs are exported");
        return (At.Get<Size2>("stride"), At.Get<int[]>("padding"), At.Get<Size2>("dilation"), At.Get<int>("groups"));
    }

    /// <summary>Axon's padding is top, bottom, left, right; ONNX's begins then ends: top, left, bottom, right.</summary>
    private static long[] OnnxPads(int[] p) => [p[0], p[2], p[1], p[3]];

    private string Conv(string? output)
    {
        var (s, p, d, groups) = ConvSettings();
        var w = current.Inputs[1].Shape;
        return g.Add("Conv", current.Inputs.Select(Name), output, OnnxAttr.Ints("kernel_shape", w[2], w[3]), OnnxAttr.Ints("strides", s.H, s.W),
            OnnxAttr.Ints("pads", OnnxPads(p)), OnnxAttr.Ints("dilations", d.H, d.W), OnnxAttr.Int("group", groups));
    }

    /// <summary>
    /// The convolution's input gradient (a transposed convolution): ONNX's ConvTranspose with the same weight layout,
    /// and the output padding that reaches the traced size.
    /// </summary>
    private void ConvTranspose()
    {
        var (s, p, d, groups) = ConvSettings();
        int[] w = current.Inputs[1].Shape, x = current.Inputs[0].Shape, y = current.Outputs[0].Shape;
        long OutputPadding(int axis, int stride, int dilation, int padBegin, int padEnd) =>
            y[axis] - (((long)x[axis] - 1) * stride - padBegin - padEnd + (long)dilation * (w[axis] - 1) + 1);
        long oh = OutputPadding(2, s.H, d.H, p[0], p[1]), ow = OutputPadding(3, s.W, d.W, p[2], p[3]);
        if (oh < 0 || ow < 0) throw Unsupported($"the output {Shapes.Format(y)} is smaller than a transposed convolution of {Shapes.Format(x)} gives");
        g.Add("ConvTranspose", [In(0), In(1)], Out(), OnnxAttr.Ints("kernel_shape", w[2], w[3]), OnnxAttr.Ints("strides", s.H, s.W),
            OnnxAttr.Ints("pads", OnnxPads(p)), OnnxAttr.Ints("dilations", d.H, d.W), OnnxAttr.Int("group", groups), OnnxAttr.Ints("output_padding", oh, ow));
    }

    /// <summary>The traced convolution's output shape (the input of a fused op's pooling).</summary>
    private int[] ConvOutputShape()
    {
        var (s, p, d, _) = ConvSettings();
        int[] x = current.Inputs[0].Shape, w = current.Inputs[1].Shape;
        return [x[0], w[0], (x[2] + p[0] + p[1] - d.H * (w[2] - 1) - 1) / s.H + 1, (x[3] + p[2] + p[3] - d.W * (w[3] - 1) - 1) / s.W + 1];
    }

    // The pooling's attributes are named with the prefix in a fused op; its input is then not the op's.
    private void MaxPool(string input, string output, string prefix = "", int[]? inputShape = null)
    {
        Size2 k = At.Get<Size2>(prefix + "kernel_size"), s = At.Get<Size2>(prefix + "stride"), p = At.Get<Size2>(prefix + "padding"), d = At.Get<Size2>(prefix + "dilation");
        bool ceil = At.Get<bool>(prefix + "ceil_mode");
        CheckPoolSize(k, s, p, d, ceil, inputShape ?? current.Inputs[0].Shape);
        g.Add("MaxPool", [input], output, OnnxAttr.Ints("kernel_shape", k.H, k.W), OnnxAttr.Ints("strides", s.H, s.W), OnnxAttr.Ints("pads", p.H, p.W, p.H, p.W),
            OnnxAttr.Ints("dilations", d.H, d.W), OnnxAttr.Int("ceil_mode", ceil ? 1 : 0));
    }

    private void AvgPool()
    {
        Size2 k = At.Get<Size2>("kernel_size"), s = At.Get<Size2>("stride"), p = At.Get<Size2>("padding");
        bool ceil = At.Get<bool>("ceil_mode");
        CheckPoolSize(k, s, p, new Size2(1), ceil, current.Inputs[0].Shape);
        g.Add("AveragePool", [In(0)], Out(), OnnxAttr.Ints("kernel_shape", k.H, k.W), OnnxAttr.Ints("strides", s.H, s.W), OnnxAttr.Ints("pads", p.H, p.W, p.H, p.W),
            OnnxAttr.Int("ceil_mode", ceil ? 1 : 0), OnnxAttr.Int("count_include_pad", At.Get<bool>("count_include_pad") ? 1 : 0));
    }

    /// <summary>
    /// ONNX sizes a pooling's output by the plain formula; PyTorch (and Axon) drop a last window that would start in the
    /// padding under ceil mode. Where the two differ the graph would be wrong, so the export stops instead.
    /// </summary>
    private void CheckPoolSize(Size2 k, Size2 s, Size2 p, Size2 d, bool ceil, int[] x)
    {
        int[] y = current.Outputs[0].Shape;
        long Size(int n, int kernel, int stride, int pad, int dilation)
        {
            long span = n + 2L * pad - (long)dilation * (kernel - 1) - 1;
            return (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        }
        if (x.Length != 4 || Size(x[2], k.H, s.H, p.H, d.H) != y[2] || Size(x[3], k.W, s.W, p.W, d.W) != y[3])
            throw Unsupported($"ONNX would size the output of {Shapes.Format(x)} differently from the traced {Shapes.Format(y)} (ceil mode's last window)");
    }

    /// <summary>
    /// Adaptive average pooling: global pooling to 1 x 1, a plain average pooling when the sizes divide, else each output
    /// row's band averaged then each column's (the windows are separable: floor(i·H/h) to ceil((i+1)·H/h)).
    /// </summary>
    private void AdaptiveAvgPool()
    {
        int[] x = current.Inputs[0].Shape, y = current.Outputs[0].Shape;
        if (x.Length != 4) throw Unsupported("only batched [N, C, H, W] inputs are exported");
        if (y[2] == 1 && y[3] == 1)
        {
            g.Add("GlobalAveragePool", [In(0)], Out());
            return;
        }
        if (x[2] % y[2] == 0 && x[3] % y[3] == 0)
        {
            long kh = x[2] / y[2], kw = x[3] / y[3];
            g.Add("AveragePool", [In(0)], Out(), OnnxAttr.Ints("kernel_shape", kh, kw), OnnxAttr.Ints("strides", kh, kw));
            return;
        }
        var rows = AdaptiveBands(In(0), 2, x[2], y[2], null);
        AdaptiveBands(rows, 3, x[3], y[3], Out());
    }

    private string AdaptiveBands(string input, int axis, int size, int outSize, string? output)
    {
        var bands = new List<string>();
        for (int i = 0; i < outSize; i++)
        {
            long start = (long)i * size / outSize, end = ((long)(i + 1) * size + outSize - 1) / outSize;
            var band = g.Add("Slice", [input, g.Int64s(start), g.Int64s(end), g.Int64s(axis)]);
            bands.Add(g.Add("ReduceMean", [band], null, OnnxAttr.Ints("axes", axis), OnnxAttr.Int("keepdims", 1)));
        }
        return g.Add("Concat", bands, output, OnnxAttr.Int("axis", axis));
    }

    /// <summary>BatchNormalization's inputs X, scale, B, mean, var from the traced op's optional ones (a missing scale is 1, a missing shift 0).</summary>
    private string[] BatchNormInputs()
    {
        if (At.Get<bool>("training")) throw Unsupported("it normalises with the batch's statistics (training mode); export the model in evaluation mode");
        if (!At.Get<bool>("has_running_mean") || !At.Get<bool>("has_running_var")) throw Unsupported("without running statistics it normalises with the batch's own");
        int i = 1;
        string? Next(string flag) => At.Get<bool>(flag) ? In(i++) : null;
        string mean = Next("has_running_mean")!, variance = Next("has_running_var")!;
        string? weight = Next("has_weight"), bias = Next("has_bias");
        int channels = current.Inputs[0].Shape[1];
        var dtype = InType();
        return [In(0), weight ?? g.Filled("bn_scale", channels, 1, dtype), bias ?? g.Filled("bn_shift", channels, 0, dtype), mean, variance];
    }

    /// <summary>relu(batchnorm(x) + residual), the residual and the ReLU each optional.</summary>
    private void BatchNormAct()
    {
        var inputs = BatchNormInputs();
        bool residual = At.Get<bool>("has_residual"), relu = At.Get<bool>("relu");
        var y = g.Add("BatchNormalization", inputs, residual || relu ? null : Out(), OnnxAttr.Float("epsilon", At.Get<double>("eps")));
        if (residual) y = g.Add("Add", [y, In(current.Inputs.Count - 1)], relu ? null : Out());
        if (relu) g.Add("Relu", [y], Out());
    }
}
