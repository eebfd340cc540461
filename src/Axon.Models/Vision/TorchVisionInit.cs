using Axon.Nn;

namespace Axon.Models.Vision;

/// <summary>
/// torchvision's weight initialisations, applied after a model is built (its layers first draw PyTorch's defaults, then
/// these passes redraw what torchvision redraws, all from the one seeded generator).
/// </summary>
internal static class TorchVisionInit
{
    /// <summary>Every convolution He-normal with fan_out for ReLU, biases zero (VGG, ResNet).</summary>
    public static void ConvsKaimingFanOut(Module model, Generator generator)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is not Conv2d conv) continue;
            Init.KaimingNormal(conv.Weight, mode: FanMode.FanOut, nonlinearity: "relu", generator: generator);
            if (conv.Bias is not null) Init.Zeros(conv.Bias);
        }
    }

    /// <summary>Every convolution He-normal with fan_in (PyTorch's kaiming_normal_ defaults: leaky_relu with slope 0), biases zero (DenseNet).</summary>
    public static void ConvsKaimingFanIn(Module model, Generator generator)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is not Conv2d conv) continue;
            Init.KaimingNormal(conv.Weight, generator: generator);
            if (conv.Bias is not null) Init.Zeros(conv.Bias);
        }
    }

    /// <summary>Batch norms to the identity affine map: weight 1, bias 0.</summary>
    public static void BatchNormsUnit(Module model)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is not BatchNormBase bn) continue;
            if (bn.Weight is not null) Init.Ones(bn.Weight);
            if (bn.Bias is not null) Init.Zeros(bn.Bias);
        }
    }

    /// <summary>Linear layers N(0, <paramref name="std"/>²) with zero bias (VGG: 0.01).</summary>
    public static void LinearsNormal(Module model, double std, Generator generator)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is not Linear linear) continue;
            Init.Normal(linear.Weight, 0, std, generator);
            if (linear.Bias is not null) Init.Zeros(linear.Bias);
        }
    }

    /// <summary>Linear biases zero, weights as PyTorch's default (DenseNet).</summary>
    public static void LinearBiasesZero(Module model)
    {
        foreach (var (_, m) in model.NamedModules())
            if (m is Linear { Bias: not null } linear) Init.Zeros(linear.Bias);
    }

    /// <summary>Convolutions and linear layers truncated N(0, 0.01²) on [-2, 2] (GoogLeNet).</summary>
    public static void TruncNormalWeights(Module model, Generator generator)
    {
        foreach (var (_, m) in model.NamedModules())
        {
            if (m is Conv2d conv) Init.TruncNormal(conv.Weight, 0, 0.01, -2, 2, generator);
            else if (m is Linear linear) Init.TruncNormal(linear.Weight, 0, 0.01, -2, 2, generator);
        }
    }
}
