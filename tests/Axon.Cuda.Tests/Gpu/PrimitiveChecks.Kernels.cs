using Axon.Backends;
using Axon.Kernels;

namespace Axon.Cuda.Tests;

// The kernel-backed primitives in the GPU check: one or more cases per family, on views and broadcasts.
public static partial class PrimitiveChecks
{
    private static void KernelChecks(List<CheckResult> results, Device cuda, DType dtype, string t, double tol)
    {
        Tensor Rn(int[] shape, int seed, Device b) => Tensor.Randn(shape, new Generator(seed), dtype).To(b);
        Tensor Idx(long[] v, int[] shape, Device b) => Tensor.FromArray(v, shape).To(b);
        void Add(string name, Func<Device, Tensor> run, double tolerance) => results.Add(Primitive($"{name} {t}", cuda, run, tolerance));

        // ---- element-wise ----
        foreach (var op in (BinaryOp[])[BinaryOp.Add, BinaryOp.Div, BinaryOp.Pow, BinaryOp.Max, BinaryOp.Ge])
            Add($"Binary {op} broadcast [4,1,7]x[5,7] view", b =>
            {
                var y = Tensor.Zeros([4, 5, 7], dtype, b);
                b.Backend.Binary(op, Rn([4, 1, 7], 20, b).Abs(), Rn([5, 9], 21, b).Narrow(1, 1, 7), y);
                return y;
            }, tol);
        foreach (var op in (UnaryOp[])[UnaryOp.Exp, UnaryOp.Tanh, UnaryOp.Sigmoid, UnaryOp.Relu, UnaryOp.Sign])
            Add($"Unary {op} transposed", b =>
            {
                var y = Tensor.Zeros([5, 6], dtype, b);
                b.Backend.Unary(op, Rn([6, 5], 22, b).Transpose(0, 1), y);
                return y;
            }, tol);
        Add("Where/Clamp/Softplus/Axpy", b =>
        {
            var (x, y) = (Rn([8, 9], 23, b), Tensor.Zeros([8, 9], dtype, b));
            b.Backend.Where(Rn([9], 24, b), x, Rn([8, 1], 25, b), y);
            b.Backend.Clamp(y, -0.5, 0.75, y);
            var s = Tensor.Zeros([8, 9], dtype, b);
            b.Backend.Softplus(x, 1.5, 20, s);
            b.Backend.Axpy(0.3, s, y);
            return y;
        }, tol);
        // ---- reductions ----
        for (int dim = 0; dim < 3; dim++)
        {
            int dd = dim;
            Add($"Sum dim {dim} permuted [300,3,4]", b =>
            {
                var x = Rn([3, 4, 300], 26, b).Permute(2, 0, 1);
                var y = Tensor.Zeros(x.GetShape().Where((_, i) => i != dd).ToArray(), dtype, b);
                b.Backend.Sum(x, dd, y);
                return y;
            }, tol);
            Add($"Softmax log dim {dim}", b =>
            {
                var x = Rn([3, 300, 5], 27, b);
                var y = Tensor.Zeros([3, 300, 5], dtype, b);
                b.Backend.Softmax(x, dd, true, y);
                return y;
            }, tol);
            Add($"Extreme max values+indices dim {dim}", b =>
            {
                var x = Rn([7, 300, 5], 28, b);
                var shape = x.GetShape().Where((_, i) => i != dd).ToArray();
                var (v, ix) = (Tensor.Zeros(shape, dtype, b), Tensor.Zeros(shape, DType.Int64, b));
                b.Backend.Extreme(x, dd, true, v, ix);
                return Tensor.Cat([v.To(DType.Float64).Flatten(), ix.To(DType.Float64).Flatten()]);
            }, 0);
        }
        Add("SumAll 100003 strided", b =>
        {
            var y = Tensor.Zeros([], dtype, b);
            b.Backend.SumAll(Rn([100_003, 2], 29, b).Select(1, 1), y);
            return y;
        }, tol);
        foreach (double p in (double[])[1, 2, double.PositiveInfinity, 3])
            Add($"Norm p={p}", b => Tensor.Scalar(b.Backend.Norm(Rn([3000, 3], 30, b).Select(1, 2), p), DType.Float64), tol);
        // ---- losses ----
        Add("CrossEntropy weighted mean + backward", b =>
        {
            var x = Rn([300, 37], 31, b).Transpose(0, 1);
            var target = Idx(Enumerable.Range(0, 37).Select(i => (long)(i * 7 % 300)).ToArray(), [37], b);
            var w = Rn([300], 32, b).Abs();
            var (loss, lse, gx) = (Tensor.Zeros([], dtype, b), Tensor.Zeros([37], dtype, b), Tensor.Zeros([37, 300], dtype, b));
            double ws = b.Backend.CrossEntropy(x, target, w, Reduction.Mean, loss, lse);
            b.Backend.CrossEntropyBackward(x, lse, target, w, Reduction.Mean, ws, Tensor.Scalar(1, dtype, b), gx);
            return Tensor.Cat([loss.To(DType.Float64).Reshape(1), Tensor.Scalar(ws, DType.Float64, b).Reshape(1), gx.To(DType.Float64).Flatten()]);
        }, tol);
        Add("BCE with logits + backward", b =>
        {
            var (x, tt, l, gx) = (Rn([9, 7], 33, b), Rn([9, 7], 34, b).Sigmoid(), Tensor.Zeros([9, 7], dtype, b), Tensor.Zeros([9, 7], dtype, b));
            b.Backend.BinaryCrossEntropyWithLogits(x, tt, l);
            b.Backend.BinaryCrossEntropyWithLogitsBackward(x, tt, Rn([7], 35, b).Expand(9, 7), gx);
            return Tensor.Cat([l.Flatten(), gx.Flatten()]);
        }, tol);
        // ---- indexing ----
        Add("IndexSelect/IndexAdd/Gather/ScatterAdd/EmbeddingBackward", b =>
        {
            var ix = Idx([3, 0, 5, 3, 1], [5], b);
            var sel = Tensor.Zeros([4, 5, 2], dtype, b);
            b.Backend.IndexSelect(Rn([4, 6, 2], 36, b), 1, ix, sel);
            var acc = Rn([4, 6, 2], 37, b);
            b.Backend.IndexAdd(acc, 1, ix, sel);
            var gi = Idx([0, 5, 2, 2, 1, 4], [2, 3], b);
            var gat = Tensor.Zeros([2, 3], dtype, b);
            b.Backend.Gather(Rn([2, 6], 38, b), 1, gi, gat);
            var sc = Rn([2, 6], 39, b);
            b.Backend.ScatterAdd(sc, 1, gi, gat);
            var emb = Tensor.Zeros([6, 2], dtype, b);
            b.Backend.EmbeddingBackward(emb, ix, Rn([5, 2], 40, b), 1);
            return Tensor.Cat([acc.Flatten(), sc.Flatten(), emb.Flatten()]);
        }, tol);
        // ---- pooling and normalisation ----
        var win = new Window2d(3, 9, 11, 3, 3, 2, 2, 1, 1, 1, 1, 5, 6);
        Add("MaxPool2d + indices + backward", b =>
        {
            var x = Rn([2, 9, 11, 3], 41, b).Permute(0, 3, 1, 2);
            var (y, ind, gx) = (Tensor.Zeros([2, 3, 5, 6], dtype, b), Tensor.Zeros([2, 3, 5, 6], DType.Int64, b), Tensor.Zeros([2, 3, 9, 11], dtype, b));
            var am = b.Backend.MaxPool2d(x, win, y, true)!;
            b.Backend.MaxPool2dIndices(am, ind);
            b.Backend.MaxPool2dBackward(Rn([2, 3, 5, 6], 42, b), am, win, gx);
            return Tensor.Cat([y.To(DType.Float64).Flatten(), ind.To(DType.Float64).Flatten(), gx.To(DType.Float64).Flatten()]);
        }, 0);
        Add("AvgPool2d padded + backward", b =>
        {
            var (y, gx) = (Tensor.Zeros([2, 3, 5, 6], dtype, b), Tensor.Zeros([2, 3, 9, 11], dtype, b));
            b.Backend.AvgPool2d(Rn([2, 3, 9, 11], 43, b), win, false, false, y);
            b.Backend.AvgPool2dBackward(Rn([2, 3, 5, 6], 44, b), win, false, false, gx);
            return Tensor.Cat([y.Flatten(), gx.Flatten()]);
        }, tol);
        Add("BatchNormAct training + residual + ReLU, backward", b =>
        {
            var (x, w, bias, rm, rv) = (Rn([5, 3, 7, 9], 45, b), Rn([3], 46, b), Rn([3], 47, b), Rn([3], 48, b), Rn([3], 49, b).Abs());
            var (y, mean, inv) = (Tensor.Zeros([5, 3, 7, 9], dtype, b), Tensor.Zeros([3], DType.Float64, b), Tensor.Zeros([3], DType.Float64, b));
            b.Backend.BatchNormAct(x, w, bias, rm, rv, true, 0.1, 1e-5, Rn([5, 3, 7, 9], 50, b), true, y, mean, inv);
            var (gx, gw, gb) = (Tensor.Zeros([5, 3, 7, 9], dtype, b), Tensor.Zeros([3], dtype, b), Tensor.Zeros([3], dtype, b));
            b.Backend.BatchNormBackward(x, Rn([5, 3, 7, 9], 51, b), mean, inv, w, true, gx, gw, gb);
            return Tensor.Cat([y.Flatten(), rm, rv, gx.Flatten(), gw, gb]);
        }, tol);
        // ---- recurrent cells and optimisers ----
        Add("LstmCell + backward", b =>
        {
            var (gates, h0, c0, h1, c1) = (Rn([5, 52], 52, b), Rn([5, 13], 53, b), Rn([5, 13], 54, b), Tensor.Zeros([5, 13], dtype, b), Tensor.Zeros([5, 13], dtype, b));
            b.Backend.LstmCell(gates, h0, c0, h1, c1, 3);
            var (dc, dg) = (Rn([5, 13], 55, b), Tensor.Zeros([5, 52], dtype, b));
            b.Backend.LstmCellBackward(gates, c0, c1, Rn([5, 13], 56, b), dc, dg, 3);
            return Tensor.Cat([h1.Flatten(), c1.Flatten(), dc.Flatten(), dg.Flatten()]);
        }, tol);
        Add("Adam AMSGrad step", b =>
        {
            var (p, m, v, mx) = (Rn([531], 57, b), Rn([531], 58, b), Rn([531], 59, b).Abs(), Rn([531], 60, b).Abs());
            b.Backend.AdamStep(p, Rn([531], 61, b), m, v, mx, new AdamUpdate(0.9, 0.999, 1e-8, 0.01, 1, 0.01, 0.3, false));
            return Tensor.Cat([p, m, v, mx]);
        }, 0);
    }
}
