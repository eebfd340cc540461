using System.Globalization;

namespace Axon.Nn;

/// <summary>
/// Fully connected layer y = x W^T + b. Shape: input [*, inFeatures] -> output [*, outFeatures];
/// weight [outFeatures, inFeatures] and bias [outFeatures], as PyTorch stores them.
/// Default initialisation as PyTorch: weight Kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(in), 1/sqrt(in)); bias U(-1/sqrt(in), 1/sqrt(in)).
/// </summary>
public sealed class Linear : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer and initialises it from <paramref name="generator"/> (the default generator when null).</summary>
    public Linear(int inFeatures, int outFeatures, bool bias = true, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (inFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), inFeatures, "Linear: inFeatures must be positive.");
        if (outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "Linear: outFeatures must be positive.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Zeros([outFeatures, inFeatures], dtype))!;
        Bias = RegisterParameter("bias", bias ? Tensor.Zeros([outFeatures], dtype) : null);
        ResetOwnParameters(generator ?? Generator.Default);
    }

    /// <summary>Size of each input sample.</summary>
    public int InFeatures { get; }

    /// <summary>Size of each output sample.</summary>
    public int OutFeatures { get; }

    /// <summary>Weight [outFeatures, inFeatures].</summary>
    public Tensor Weight { get; }

    /// <summary>Bias [outFeatures], or null.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    protected override void ResetOwnParameters(Generator generator)
    {
        Init.KaimingUniform(Weight, a: Math.Sqrt(5), generator: generator);
        if (Bias is not null)
        {
            double bound = 1 / Math.Sqrt(InFeatures);
            Init.Uniform(Bias, -bound, bound, generator);
        }
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Tensor.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() => string.Create(CultureInfo.InvariantCulture, $"in_features={InFeatures}, out_features={OutFeatures}, bias={(Bias is null ? "False" : "True")}");
}
