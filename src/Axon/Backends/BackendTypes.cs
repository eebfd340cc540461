namespace Axon.Backends;

/// <summary>Binary element-wise operations (comparisons give 1 or 0 in the operands' type).</summary>
public enum BinaryOp
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a − b.</summary>
    Sub,
    /// <summary>a b.</summary>
    Mul,
    /// <summary>a / b (int64: truncated, and division by zero throws).</summary>
    Div,
    /// <summary>The larger of a and b (NaN if either is).</summary>
    Max,
    /// <summary>The smaller of a and b (NaN if either is).</summary>
    Min,
    /// <summary>a to the power b.</summary>
    Pow,
    /// <summary>a == b.</summary>
    Eq,
    /// <summary>a != b.</summary>
    Ne,
    /// <summary>a &lt; b.</summary>
    Lt,
    /// <summary>a &lt;= b.</summary>
    Le,
    /// <summary>a &gt; b.</summary>
    Gt,
    /// <summary>a &gt;= b.</summary>
    Ge,
}

/// <summary>Unary element-wise operations. Int64 tensors support Neg, Abs, Square and Sign.</summary>
public enum UnaryOp
{
    /// <summary>−x.</summary>
    Neg,
    /// <summary>|x|.</summary>
    Abs,
    /// <summary>e^x.</summary>
    Exp,
    /// <summary>The natural logarithm.</summary>
    Log,
    /// <summary>√x.</summary>
    Sqrt,
    /// <summary>The hyperbolic tangent.</summary>
    Tanh,
    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>The sign in {−1, 0, 1}.</summary>
    Sign,
    /// <summary>1 where x ≥ 0, else 0.</summary>
    Step,
    /// <summary>x².</summary>
    Square,
    /// <summary>1 / x.</summary>
    Reciprocal,
}

/// <summary>Activations whose backward is one fused pass (<see cref="IBackend.ActivationBackward"/>).</summary>
public enum ActivationGrad
{
    /// <summary>ReLU's, from its input x: x &gt; 0 ? g : 0.</summary>
    Relu,

    /// <summary>tanh's, from its output y: g (1 - y y).</summary>
    Tanh,

    /// <summary>The sigmoid's, from its output y: g y (1 - y).</summary>
    Sigmoid,
}

/// <summary>Hyper-parameters of a 2-D convolution after validation: strides, the four paddings, dilations, groups.</summary>
public readonly record struct Conv2dParams(int StrideH, int StrideW, int PadTop, int PadBottom, int PadLeft, int PadRight, int DilationH, int DilationW, int Groups)
{
    /// <summary>The output height for an input of height <paramref name="h"/> and a kernel of height <paramref name="kh"/>.</summary>
    public int OutH(int h, int kh) => (h + PadTop + PadBottom - DilationH * (kh - 1) - 1) / StrideH + 1;

    /// <summary>The output width for an input of width <paramref name="w"/> and a kernel of width <paramref name="kw"/>.</summary>
    public int OutW(int w, int kw) => (w + PadLeft + PadRight - DilationW * (kw - 1) - 1) / StrideW + 1;
}

/// <summary>The coefficients of one SGD update (see <c>Axon.Optim.Sgd</c>).</summary>
public readonly record struct SgdUpdate(double Lr, double WeightDecay, double Momentum, double Dampening, bool First, bool Nesterov, bool Maximize);

/// <summary>The coefficients of one Adam or AdamW update (see <c>Axon.Optim.Adam</c>): L2 for Adam's decay, Shrink = 1 − γλ for AdamW's.</summary>
public readonly record struct AdamUpdate(double Beta1, double Beta2, double Eps, double L2, double Shrink, double StepSize, double Bc2Sqrt, bool Maximize);

/// <summary>The coefficients of one Adagrad update, with the decayed rate (see <c>Axon.Optim.Adagrad</c>).</summary>
public readonly record struct AdagradUpdate(double Lr, double WeightDecay, double Eps, bool Maximize);

/// <summary>The coefficients of one RMSprop update (see <c>Axon.Optim.RmsProp</c>).</summary>
public readonly record struct RmsPropUpdate(double Lr, double Alpha, double Eps, double WeightDecay, double Momentum, bool Maximize);

/// <summary>The coefficients of one Adadelta update (see <c>Axon.Optim.Adadelta</c>).</summary>
public readonly record struct AdadeltaUpdate(double Lr, double Rho, double Eps, double WeightDecay, bool Maximize);

/// <summary>The coefficients of one update of PyTorch's ASGD (see <c>Axon.Optim.Asgd</c>).</summary>
public readonly record struct AsgdUpdate(double WeightDecay, double Shrink, double Eta, double Mu, bool Maximize);

/// <summary>The coefficients of one update of the lecture's averaged SGD (see <c>Axon.Optim.AveragedSgd</c>).</summary>
public readonly record struct AveragedSgdUpdate(double Lr, double WeightDecay, double Mu);
