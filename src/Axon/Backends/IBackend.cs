using Axon.Kernels;

namespace Axon.Backends;

/// <summary>
/// The primitives every differentiable op is built from, implemented once per device: <see cref="CpuBackend"/> (the
/// fast kernels), <see cref="ReferenceBackend"/> (plain scalar loops, the reference the others are tested against) and
/// the CUDA backend in its own assembly. The op layer owns shapes, broadcasting rules, type promotion and errors about them, allocates every
/// result on the operands' device, and calls these with tensors of this backend's device only.
/// </summary>
/// <remarks>
/// Conventions: a destination (<c>dst</c>, <c>y</c>, <c>gx</c>, ...) is a contiguous tensor of the right shape and dtype,
/// freshly allocated by the caller and entirely overwritten (unless the member says it accumulates); sources may have
/// any strides (views, broadcast expansions with stride 0) unless the member says contiguous. Floating-point members
/// take float32 and float64; int64 where said. Shapes are checked by the caller; a backend checks only what depends on
/// the data (index bounds), with messages naming the primitive.
/// </remarks>
public interface IBackend
{
    /// <summary>The device whose tensors this backend computes on.</summary>
    Device Device { get; }

    // ---- memory ----

    /// <summary>Memory for <paramref name="count"/> elements of <paramref name="dtype"/>, zeroed when <paramref name="zero"/>.</summary>
    Storage Allocate(DType dtype, int count, bool zero);

    /// <summary>dst = src element by element (same shape and dtype, any layouts; they must not overlap).</summary>
    void Copy(Tensor src, Tensor dst);

    /// <summary>dst = src converted to dst's dtype (same shape; truncation toward zero from float to int64).</summary>
    void Cast(Tensor src, Tensor dst);

    /// <summary>Every element of dst (any layout) set to <paramref name="value"/> converted to its dtype.</summary>
    void Fill(Tensor dst, double value);

    /// <summary>dst (any layout, of <typeparamref name="T"/>'s dtype) = the host values, in row-major order.</summary>
    void CopyFromHost<T>(ReadOnlySpan<T> src, Tensor dst) where T : unmanaged;

    /// <summary>The host span = src's elements (any layout, of <typeparamref name="T"/>'s dtype) in row-major order.</summary>
    void CopyToHost<T>(Tensor src, Span<T> dst) where T : unmanaged;

    /// <summary>Contiguous dst = uniform samples in [low, high) drawn from <paramref name="generator"/> in element order (so every device draws the same numbers).</summary>
    void FillUniform(Tensor dst, Generator generator, double low, double high);

    /// <summary>Contiguous dst = normal samples drawn from <paramref name="generator"/> in element order.</summary>
    void FillNormal(Tensor dst, Generator generator, double mean, double std);

    /// <summary>Contiguous dst = uniform integers in [low, high) drawn from <paramref name="generator"/> in element order.</summary>
    void FillRandint(Tensor dst, Generator generator, long low, long high);

    // ---- element-wise ----

    /// <summary>dst = op(x) (same shape and dtype; int64 for Neg, Abs, Square and Sign).</summary>
    void Unary(UnaryOp op, Tensor x, Tensor dst);

    /// <summary>dst = a op b, where a and b broadcast to dst's shape and share its dtype; dst may be a itself (in-place).</summary>
    void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst);

    /// <summary>dst = cond != 0 ? a : b, all three broadcast to dst's shape (a and b of dst's dtype; cond any dtype).</summary>
    void Where(Tensor cond, Tensor a, Tensor b, Tensor dst);

    /// <summary>dst = min(max(x, lo), hi) (float or int64); dst may be x itself.</summary>
    void Clamp(Tensor x, double lo, double hi, Tensor dst);

    /// <summary>dst = x &gt; 0 ? x : slope x.</summary>
    void LeakyRelu(Tensor x, double slope, Tensor dst);

    /// <summary>dst = log(1 + e^(βx)) / β, x itself where βx &gt; threshold.</summary>
    void Softplus(Tensor x, double beta, double threshold, Tensor dst);

    /// <summary>dst = the backward of an activation: ReLU's from its input, tanh's and the sigmoid's from their output.</summary>
    void ActivationBackward(ActivationGrad kind, Tensor saved, Tensor g, Tensor dst);

    /// <summary>
    /// dst = g (x &gt; 0 ? p : q) with p = T(1 − slope) + T(slope) and q = T(slope), rounded in dst's type T (float):
    /// leaky ReLU's backward from its input x, equal to the composite g · ([x &gt; 0] (1 − slope) + slope) to the bit.
    /// </summary>
    void LeakyReluBackward(Tensor x, Tensor g, double slope, Tensor dst);

    /// <summary>dst += alpha x in place (contiguous dst, x of dst's shape and dtype): gradient accumulation.</summary>
    void Axpy(double alpha, Tensor x, Tensor dst);

    // ---- reductions ----

    /// <summary>dst = the sum of x over dimension <paramref name="dim"/> (dst holds x's shape without, or with size 1 at, that dimension).</summary>
    void Sum(Tensor x, int dim, Tensor dst);

    /// <summary>0-d dst = the sum of all elements of x.</summary>
    void SumAll(Tensor x, Tensor dst);

    /// <summary>The maximum (or minimum) of x over <paramref name="dim"/> and the int64 index of its first occurrence (NaN wins).</summary>
    void Extreme(Tensor x, int dim, bool max, Tensor values, Tensor indices);

    /// <summary>dst = softmax (or log-softmax) of x along <paramref name="dim"/>.</summary>
    void Softmax(Tensor x, int dim, bool log, Tensor dst);

    /// <summary>The smallest and largest value of an int64 tensor (for index checks; (0, -1) when empty).</summary>
    (long Min, long Max) IndexRange(Tensor index);

    /// <summary>The p-norm of x accumulated in double (p = 1, 2, +∞ or any positive p), as a host value.</summary>
    double Norm(Tensor x, double p);

    /// <summary>x = x · factor in place, the product formed in double and rounded to x's type.</summary>
    void ScaleInPlace(Tensor x, double factor);

    /// <summary>
    /// Rescales in place every slice x.select(dim, i) whose L2 norm exceeds <paramref name="maxNorm"/> to norm maxNorm
    /// (factor maxNorm / (norm + 1e-7), in double), as torch.renorm; returns how many slices were rescaled.
    /// </summary>
    int Renorm(Tensor x, int dim, double maxNorm);

    // ---- matrix products ----

    /// <summary>
    /// c = a b + beta c for a [.., m, k] and b [.., k, n] with the batch dimensions already expanded to c's (views,
    /// any strides) into contiguous c [.., m, n]; beta 0 overwrites c without reading it.
    /// </summary>
    void MatMul(Tensor a, Tensor b, Tensor c, double beta);

    /// <summary>y = x Wᵀ + b for x [.., in], W [out, in], b [out] or null, into y [.., out].</summary>
    void Linear(Tensor x, Tensor weight, Tensor? bias, Tensor y);

    // ---- convolution ----

    /// <summary>y = conv2d(x, w) + b for x [N, C, H, W] and w [O, C/G, kh, kw] into y [N, O, Ho, Wo].</summary>
    void Conv2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dParams p, Tensor y);

    /// <summary>
    /// The gradients of <see cref="Conv2d"/> that are not null: input gx, weight gw and bias gb, each overwritten. x may be
    /// null when gw is (only the weight gradient reads it), and weight when gx is.
    /// </summary>
    void Conv2dBackward(Tensor? x, Tensor? weight, Tensor gy, in Conv2dParams p, Tensor? gx, Tensor? gw, Tensor? gb);

    // ---- pooling ----

    /// <summary>
    /// y = max pooling of x [N, C, H, W] over windows <paramref name="window"/>; with <paramref name="withArgmax"/> also
    /// returns where each maximum came from, in a layout of the backend's choosing (read only by the members below).
    /// </summary>
    Tensor? MaxPool2d(Tensor x, in Window2d window, Tensor y, bool withArgmax);

    /// <summary>
    /// y = relu(max pooling of conv2d(x, w) + b) over windows <paramref name="pool"/> (whose planes are the
    /// convolution's output), with each window's argmax as <see cref="MaxPool2d"/> gives it when asked. The default
    /// composes <see cref="Conv2d"/>, <see cref="MaxPool2d"/> and <see cref="Unary"/>; a backend may compute it a few
    /// samples at a time without storing the convolution's output whole, and must then give the same values.
    /// </summary>
    Tensor? Conv2dReluMaxPool2d(Tensor x, Tensor weight, Tensor? bias, in Conv2dParams p, in Window2d pool, Tensor y, bool withArgmax)
    {
        var conv = x.EmptyLike([x.ShapeArray[0], weight.ShapeArray[0], pool.Height, pool.Width]);
        Conv2d(x, weight, bias, p, conv);
        var argmax = MaxPool2d(conv, pool, y, withArgmax);
        Unary(UnaryOp.Relu, y, y);
        conv.Dispose();
        return argmax;
    }

    /// <summary>gx = each output gradient routed to its window's maximum (<paramref name="argmax"/> from <see cref="MaxPool2d"/>).</summary>
    void MaxPool2dBackward(Tensor gy, Tensor argmax, in Window2d window, Tensor gx);

    /// <summary>y = x gathered at each window's maximum: the adjoint of <see cref="MaxPool2dBackward"/> (its own backward).</summary>
    void MaxPool2dGather(Tensor x, Tensor argmax, in Window2d window, Tensor y);

    /// <summary>indices (int64, y's shape) = each maximum's flat position ih * W + iw within its plane (PyTorch's return_indices).</summary>
    void MaxPool2dIndices(Tensor argmax, Tensor indices);

    /// <summary>y = average (or adaptive average) pooling of x [N, C, H, W].</summary>
    void AvgPool2d(Tensor x, in Window2d window, bool countIncludePad, bool adaptive, Tensor y);

    /// <summary>gx = the gradient of <see cref="AvgPool2d"/>: each output gradient spread over its window.</summary>
    void AvgPool2dBackward(Tensor gy, in Window2d window, bool countIncludePad, bool adaptive, Tensor gx);

    // ---- normalisation ----

    /// <summary>
    /// Batch normalisation of x [N, C, *] into y. Training: the batch's mean and biased variance per channel, and the
    /// running statistics (when given) updated in place as running = (1 − momentum) running + momentum stat, the variance
    /// unbiased by M / (M − 1); otherwise the running statistics. Writes the mean and 1/√(var + eps) used, as float64 [C],
    /// to <paramref name="saveMean"/> and <paramref name="saveInvStd"/> for the backward.
    /// </summary>
    void BatchNorm(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps,
        Tensor y, Tensor saveMean, Tensor saveInvStd);

    /// <summary>The gradients of <see cref="BatchNorm"/> that are not null (overwritten), from the saved statistics.</summary>
    void BatchNormBackward(Tensor x, Tensor gy, Tensor saveMean, Tensor saveInvStd, Tensor? weight, bool training, Tensor? gx, Tensor? gw, Tensor? gb);

    /// <summary>
    /// Batch normalisation followed by a residual add and a ReLU, y = relu(BatchNorm(x) + residual) (each optional), as
    /// <see cref="BatchNorm"/> otherwise. The default composes <see cref="BatchNorm"/>, <see cref="Binary"/> and
    /// <see cref="Unary"/>; a backend may fuse them (fewer passes over memory) and must then give the same values.
    /// </summary>
    void BatchNormAct(Tensor x, Tensor? weight, Tensor? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps,
        Tensor? residual, bool relu, Tensor y, Tensor saveMean, Tensor saveInvStd)
    {
        BatchNorm(x, weight, bias, runningMean, runningVar, training, momentum, eps, y, saveMean, saveInvStd);
        if (residual is not null) Binary(BinaryOp.Add, y, residual, y);
        if (relu) Unary(UnaryOp.Relu, y, y);
    }

    /// <summary>
    /// The gradients of <see cref="BatchNormAct"/> that are not null (overwritten), from its output y and the saved
    /// statistics: gz = relu ? (y &gt; 0 ? gy : 0) : gy is the residual's gradient and the batch norm's output gradient.
    /// The default composes <see cref="ActivationBackward"/>, <see cref="BatchNormBackward"/> and <see cref="Copy"/>.
    /// </summary>
    void BatchNormActBackward(Tensor x, Tensor y, Tensor gy, Tensor saveMean, Tensor saveInvStd, Tensor? weight, bool training, bool relu,
        Tensor? gx, Tensor? gw, Tensor? gb, Tensor? gResidual)
    {
        var gz = gy;
        if (relu)
        {
            gz = gResidual ?? gy.EmptyLike(gy.GetShape());
            ActivationBackward(ActivationGrad.Relu, y, gy, gz);
        }
        else if (gResidual is not null) Copy(gy, gResidual);
        BatchNormBackward(x, gz, saveMean, saveInvStd, weight, training, gx, gw, gb);
        if (relu && gResidual is null) gz.Dispose();
    }

    // ---- losses ----

    /// <summary>
    /// Softmax cross-entropy of logits x [N, C] against int64 classes [N] (checked in [0, C)), with optional class weights
    /// [C]: loss (0-d, or [N] for None) and the rows' log-sum-exp lse [N]. Returns the sum of the targets' weights (0 without).
    /// </summary>
    double CrossEntropy(Tensor x, Tensor target, Tensor? weight, Reduction reduction, Tensor loss, Tensor lse);

    /// <summary>gx = (softmax(x) − onehot(target)) scaled by the output gradient g, the target's weight and the reduction.</summary>
    void CrossEntropyBackward(Tensor x, Tensor lse, Tensor target, Tensor? weight, Reduction reduction, double weightSum, Tensor g, Tensor gx);

    /// <summary>
    /// loss = (1 − t) x + log(1 + e^−|x|) + max(−x, 0) element-wise: binary cross-entropy of logits x against targets t
    /// of x's shape and floating-point dtype (any strides), written into the contiguous <paramref name="loss"/>.
    /// </summary>
    void BinaryCrossEntropyWithLogits(Tensor x, Tensor target, Tensor loss);

    /// <summary>gx = (σ(x) − t) g element-wise, for an output gradient g of x's shape (any strides, broadcast views included).</summary>
    void BinaryCrossEntropyWithLogitsBackward(Tensor x, Tensor target, Tensor g, Tensor gx);

    // ---- indexing ----

    /// <summary>dst = x's entries along <paramref name="dim"/> at the 1-D int64 index (checked).</summary>
    void IndexSelect(Tensor x, int dim, Tensor index, Tensor dst);

    /// <summary>dst[.., index[i], ..] += src[.., i, ..] along <paramref name="dim"/>, in place: the adjoint of <see cref="IndexSelect"/>.</summary>
    void IndexAdd(Tensor dst, int dim, Tensor index, Tensor src);

    /// <summary>
    /// The embedding's weight gradient, in place: gradWeight[index[i], :] += grad[i, :] for every i in order whose index
    /// is not <paramref name="paddingIdx"/> (−1: none skipped). gradWeight [V, D], the 1-D int64 index [N] (checked to lie
    /// in [0, V)), grad [N, D]; rows never indexed are not touched.
    /// </summary>
    void EmbeddingBackward(Tensor gradWeight, Tensor index, Tensor grad, long paddingIdx);

    /// <summary>dst[.., i, ..] = x[.., index[.., i, ..], ..] along <paramref name="dim"/> (index has x's rank; checked).</summary>
    void Gather(Tensor x, int dim, Tensor index, Tensor dst);

    /// <summary>dst[.., index[.., i, ..], ..] += src[.., i, ..] along <paramref name="dim"/>, in place: the adjoint of <see cref="Gather"/>.</summary>
    void ScatterAdd(Tensor dst, int dim, Tensor index, Tensor src);

    // ---- recurrent cells: the element-wise half of one time step of a batch (contiguous [B, G·H] gates, [B, H] states);
    // rows at and after `active` belong to ended sequences: the forward copies their state through, the backward gives
    // them zero gate gradients and leaves their state gradients unchanged ----

    /// <summary>
    /// LSTM step: <paramref name="gates"/> (pre-activations, gate order i, f, g, o) is overwritten by the activations;
    /// c' = f c + i g, h' = o tanh(c').
    /// </summary>
    void LstmCell(Tensor gates, Tensor hPrev, Tensor cPrev, Tensor hNext, Tensor cNext, int active);

    /// <summary>
    /// LSTM step backward from the activations: <paramref name="dh"/> is ∂L/∂h' (read), <paramref name="dc"/> holds ∂L/∂c'
    /// and becomes ∂L/∂c, <paramref name="dGates"/> = ∂L/∂(pre-activations) (overwritten).
    /// </summary>
    void LstmCellBackward(Tensor gates, Tensor cPrev, Tensor cNext, Tensor dh, Tensor dc, Tensor dGates, int active);

    /// <summary>
    /// GRU step: <paramref name="gx"/> (x W_ihᵀ + b_ih, order r, z, n) is overwritten by the activations r, z, n;
    /// <paramref name="gh"/> is h W_hhᵀ + b_hh; h' = (1 − z) n + z h with n = tanh(gx_n + r gh_n).
    /// </summary>
    void GruCell(Tensor gx, Tensor gh, Tensor hPrev, Tensor hNext, int active);

    /// <summary>
    /// GRU step backward from the activations: <paramref name="dh"/> holds ∂L/∂h' and becomes z ∂L/∂h' (the direct part);
    /// <paramref name="dgx"/> and <paramref name="dgh"/> (overwritten) are the gradients of gx and gh.
    /// </summary>
    void GruCellBackward(Tensor gates, Tensor gh, Tensor hPrev, Tensor dh, Tensor dgx, Tensor dgh, int active);

    /// <summary>Elman step: h' = tanh(pre), or relu(pre) when <paramref name="relu"/>.</summary>
    void RnnCell(bool relu, Tensor pre, Tensor hPrev, Tensor hNext, int active);

    /// <summary>Elman step backward from h': <paramref name="dPre"/> (overwritten) = dh · σ'(pre), read from h'.</summary>
    void RnnCellBackward(bool relu, Tensor hNext, Tensor dh, Tensor dPre, int active);

    // ---- optimiser updates (parameter, gradient and states contiguous, of one shape and dtype; in place) ----

    /// <summary>One SGD update; <paramref name="buffer"/> (the momentum buffer) is null without momentum.</summary>
    void SgdStep(Tensor p, Tensor grad, Tensor? buffer, in SgdUpdate u);

    /// <summary>One Adam or AdamW update; <paramref name="maxSq"/> is null without AMSGrad.</summary>
    void AdamStep(Tensor p, Tensor grad, Tensor m, Tensor v, Tensor? maxSq, in AdamUpdate u);

    /// <summary>One Adagrad update.</summary>
    void AdagradStep(Tensor p, Tensor grad, Tensor sum, in AdagradUpdate u);

    /// <summary>One RMSprop update; <paramref name="buffer"/> is null without momentum, <paramref name="average"/> when not centred.</summary>
    void RmsPropStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor? buffer, Tensor? average, in RmsPropUpdate u);

    /// <summary>One Adadelta update.</summary>
    void AdadeltaStep(Tensor p, Tensor grad, Tensor squareAverage, Tensor accumulatedDelta, in AdadeltaUpdate u);

    /// <summary>One update of PyTorch's ASGD.</summary>
    void AsgdStep(Tensor p, Tensor grad, Tensor average, in AsgdUpdate u);

    /// <summary>One update of the lecture's averaged SGD.</summary>
    void AveragedSgdStep(Tensor p, Tensor grad, Tensor average, in AveragedSgdUpdate u);
}
