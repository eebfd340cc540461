using Axon.Cuda.Native;

namespace Axon.Cuda;

// Convolutions on cuDNN's legacy API. Each geometry (dtype, input and weight shapes, stride, padding, dilation, groups)
// gets its descriptors and, for each direction, the algorithm cudnnFind*AlgorithmEx measured fastest the first time
// (restricted to deterministic ones under CudaOptions.Deterministic), kept for the life of the backend as PyTorch's
// cudnn.benchmark. Workspaces come from the caching allocator.
public sealed partial class CudaBackend
{
    private readonly Dictionary<ConvKey, ConvPlan> convPlans = [];
    private IntPtr cudnn;

    private readonly record struct ConvKey(DType DType, int N, int C, int H, int W, int O, int Kh, int Kw, Conv2dParams P);

    /// <summary>The descriptors of one geometry and the algorithms chosen for it (−1: not searched yet).</summary>
    private sealed class ConvPlan
    {
        public IntPtr X, Wd, Y, Bias, Conv;
        public int Forward = -1, BackwardData = -1, BackwardFilter = -1;
    }

    private IntPtr Cudnn_
    {
        get
        {
            if (cudnn != IntPtr.Zero) return cudnn;
            CudaLibraries.Require(CudaLibrary.Cudnn);
            Context.MakeCurrent();
            Cudnn.Check(Cudnn.Create(out var h), "cudnnCreate", $"on {Device.Name}");
            Cudnn.Check(Cudnn.SetStream(h, Stream.Handle), "cudnnSetStream", $"on {Device.Name}");
            return cudnn = h;
        }
    }

    private ConvPlan Plan(DType dtype, ReadOnlySpan<int> x, ReadOnlySpan<int> w, in Conv2dParams p)
    {
        if (p.PadTop != p.PadBottom || p.PadLeft != p.PadRight)
            throw new NotSupportedException($"Conv2d on {Device.Name}: cuDNN pads symmetrically, and this convolution pads top/bottom {p.PadTop}/{p.PadBottom}, left/right {p.PadLeft}/{p.PadRight}; pad the input explicitly or use the CPU.");
        var key = new ConvKey(dtype, x[0], x[1], x[2], x[3], w[0], w[2], w[3], p);
        if (convPlans.TryGetValue(key, out var plan)) return plan;
        int dt = dtype == DType.Float32 ? Cudnn.DataFloat : Cudnn.DataDouble;
        int ho = p.OutH(x[2], w[2]), wo = p.OutW(x[3], w[3]);
        plan = new ConvPlan();
        string where = $"for a {dtype.TorchName()} convolution of [{x[0]}, {x[1]}, {x[2]}, {x[3]}] by [{w[0]}, {w[1]}, {w[2]}, {w[3]}] on {Device.Name}";
        plan.X = Tensor4d(dt, x[0], x[1], x[2], x[3], where);
        plan.Y = Tensor4d(dt, x[0], w[0], ho, wo, where);
        plan.Bias = Tensor4d(dt, 1, w[0], 1, 1, where);
        Cudnn.Check(Cudnn.CreateFilterDescriptor(out plan.Wd), "cudnnCreateFilterDescriptor", where);
        Cudnn.Check(Cudnn.SetFilter4dDescriptor(plan.Wd, dt, Cudnn.FormatNchw, w[0], w[1], w[2], w[3]), "cudnnSetFilter4dDescriptor", where);
        Cudnn.Check(Cudnn.CreateConvolutionDescriptor(out plan.Conv), "cudnnCreateConvolutionDescriptor", where);
        Cudnn.Check(Cudnn.SetConvolution2dDescriptor(plan.Conv, p.PadTop, p.PadLeft, p.StrideH, p.StrideW, p.DilationH, p.DilationW, Cudnn.CrossCorrelation, dt),
            "cudnnSetConvolution2dDescriptor", where);
        if (p.Groups > 1) Cudnn.Check(Cudnn.SetConvolutionGroupCount(plan.Conv, p.Groups), "cudnnSetConvolutionGroupCount", where);
        // Float32 without TF32 is held to FMA kernels (PyTorch's allow_tf32 = False); float64 has no tensor-core kernels.
        int math = dtype == DType.Float32 ? (Options.AllowTf32 ? Cudnn.TensorOpMath : Cudnn.FmaMath) : Cudnn.DefaultMath;
        Cudnn.Check(Cudnn.SetConvolutionMathType(plan.Conv, math), "cudnnSetConvolutionMathType", where);
        return convPlans[key] = plan;
    }

    private static IntPtr Tensor4d(int dt, int n, int c, int h, int w, string where)
    {
        Cudnn.Check(Cudnn.CreateTensorDescriptor(out var d), "cudnnCreateTensorDescriptor", where);
        Cudnn.Check(Cudnn.SetTensor4dDescriptorEx(d, dt, n, c, h, w, c * h * w, h * w, w, 1), "cudnnSetTensor4dDescriptorEx", where);
        return d;
    }

    /// <summary>The first usable result of a search (sorted fastest first): succeeded, within the workspace, deterministic when asked.</summary>
    private unsafe int Choose(CudnnAlgoPerf* results, int count, long workspace, string direction)
    {
        for (int i = 0; i < count; i++)
            if (results[i].Status == 0 && (long)results[i].Memory <= workspace && (!Options.Deterministic || results[i].Determinism == Cudnn.Deterministic))
                return results[i].Algo;
        throw new NotSupportedException($"cuDNN found no {(Options.Deterministic ? "deterministic " : "")}{direction} algorithm for this convolution on {Device.Name} within {CudaException.Bytes(workspace)} of workspace.");
    }

    /// <summary>The workspace the search may use: <see cref="CudaOptions.MaxConvolutionWorkspace"/>, at most half the free memory.</summary>
    private long SearchWorkspace() => Math.Max(0, Math.Min(Options.MaxConvolutionWorkspace, Context.MemoryInfo().Free / 2));

    /// <inheritdoc/>
    public unsafe void Conv2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dParams p, Tensor y)
    {
        Own(x, weight, bias, y);
        if (y.NumEl == 0) return;
        var h = Cudnn_;
        var plan = Plan(y.DType, x.Shape, weight.Shape, p);
        ulong xp = Packed(x, out var xs), wp = Packed(weight, out var ws);
        using (xs)
        using (ws)
        {
            Context.MakeCurrent();
            string where = $"(Conv2d on {Device.Name})";
            if (plan.Forward < 0)
            {
                long limit = SearchWorkspace();
                using var search = NewScratch(limit);
                var results = stackalloc CudnnAlgoPerf[8];
                Cudnn.Check(Cudnn.FindConvolutionForwardAlgorithmEx(h, plan.X, xp, plan.Wd, wp, plan.Conv, plan.Y, Ptr(y), 8, out int n, results, search.Address, (nuint)limit),
                    "cudnnFindConvolutionForwardAlgorithmEx", where);
                plan.Forward = Choose(results, n, limit, "forward");
            }
            Cudnn.Check(Cudnn.GetConvolutionForwardWorkspaceSize(h, plan.X, plan.Wd, plan.Conv, plan.Y, plan.Forward, out nuint bytes), "cudnnGetConvolutionForwardWorkspaceSize", where);
            using var workspace = NewScratch((long)bytes);
            Scalars(y.DType, out var one, out var zero);
            Cudnn.Check(Cudnn.ConvolutionForward(h, &one, plan.X, xp, plan.Wd, wp, plan.Conv, plan.Forward, workspace.Address, bytes, &zero, plan.Y, Ptr(y)),
                "cudnnConvolutionForward", where);
            if (bias is not null)
            {
                ulong bp = Packed(bias, out var bs);
                using (bs) Cudnn.Check(Cudnn.AddTensor(h, &one, plan.Bias, bp, &one, plan.Y, Ptr(y)), "cudnnAddTensor", where);
            }
        }
    }

    /// <inheritdoc/>
    public unsafe void Conv2dBackward(Tensor? x, Tensor? weight, Tensor gy, in Conv2dParams p, Tensor? gx, Tensor? gw, Tensor? gb)
    {
        Own(x, weight, gy, gx, gw, gb);
        var xShape = gx?.GetShape() ?? x!.GetShape();
        var wShape = gw?.GetShape() ?? weight!.GetShape();
        var h = Cudnn_;
        var plan = Plan(gy.DType, xShape, wShape, p);
        string where = $"(Conv2dBackward on {Device.Name})";
        Scalars(gy.DType, out var one, out var zero);
        ulong gyp = Packed(gy, out var gys);
        using (gys)
        {
            Context.MakeCurrent();
            if (gx is not null && gx.NumEl > 0)
            {
                ulong wp = Packed(weight!, out var ws);
                using (ws)
                {
                    if (plan.BackwardData < 0)
                    {
                        long limit = SearchWorkspace();
                        using var search = NewScratch(limit);
                        var results = stackalloc CudnnAlgoPerf[8];
                        Cudnn.Check(Cudnn.FindConvolutionBackwardDataAlgorithmEx(h, plan.Wd, wp, plan.Y, gyp, plan.Conv, plan.X, Ptr(gx), 8, out int n, results, search.Address, (nuint)limit),
                            "cudnnFindConvolutionBackwardDataAlgorithmEx", where);
                        plan.BackwardData = Choose(results, n, limit, "backward-data");
                    }
                    Cudnn.Check(Cudnn.GetConvolutionBackwardDataWorkspaceSize(h, plan.Wd, plan.Y, plan.Conv, plan.X, plan.BackwardData, out nuint bytes), "cudnnGetConvolutionBackwardDataWorkspaceSize", where);
                    using var workspace = NewScratch((long)bytes);
                    Cudnn.Check(Cudnn.ConvolutionBackwardData(h, &one, plan.Wd, wp, plan.Y, gyp, plan.Conv, plan.BackwardData, workspace.Address, bytes, &zero, plan.X, Ptr(gx)),
                        "cudnnConvolutionBackwardData", where);
                }
            }
            if (gw is not null && gw.NumEl > 0)
            {
                ulong xp = Packed(x!, out var xs);
                using (xs)
                {
                    if (plan.BackwardFilter < 0)
                    {
                        long limit = SearchWorkspace();
                        using var search = NewScratch(limit);
                        var results = stackalloc CudnnAlgoPerf[8];
                        Cudnn.Check(Cudnn.FindConvolutionBackwardFilterAlgorithmEx(h, plan.X, xp, plan.Y, gyp, plan.Conv, plan.Wd, Ptr(gw), 8, out int n, results, search.Address, (nuint)limit),
                            "cudnnFindConvolutionBackwardFilterAlgorithmEx", where);
                        plan.BackwardFilter = Choose(results, n, limit, "backward-filter");
                    }
                    Cudnn.Check(Cudnn.GetConvolutionBackwardFilterWorkspaceSize(h, plan.X, plan.Y, plan.Conv, plan.Wd, plan.BackwardFilter, out nuint bytes), "cudnnGetConvolutionBackwardFilterWorkspaceSize", where);
                    using var workspace = NewScratch((long)bytes);
                    Cudnn.Check(Cudnn.ConvolutionBackwardFilter(h, &one, plan.X, xp, plan.Y, gyp, plan.Conv, plan.BackwardFilter, workspace.Address, bytes, &zero, plan.Wd, Ptr(gw)),
                        "cudnnConvolutionBackwardFilter", where);
                }
            }
            if (gb is not null && gb.NumEl > 0)
                Cudnn.Check(Cudnn.ConvolutionBackwardBias(h, &one, plan.Y, gyp, &zero, plan.Bias, Ptr(gb)), "cudnnConvolutionBackwardBias", where);
        }
    }

    /// <summary>cuDNN's alpha = 1 and beta = 0 in the compute type (float for float32, double for float64), as raw 8 bytes.</summary>
    private static void Scalars(DType dtype, out double one, out double zero)
    {
        zero = 0;
        if (dtype == DType.Float64) one = 1;
        else
        {
            // A float 1 in the first four bytes, read through a float pointer.
            long bits = BitConverter.SingleToInt32Bits(1f);
            one = BitConverter.Int64BitsToDouble(bits);
        }
    }
}
