using Axon.Nn;

namespace Axon.Models;

/// <summary>
/// A multi-layer perceptron: Linear layers of the given sizes with an activation between them (none after
/// the last) and optional dropout after each hidden activation. Shape: [N, sizes[0]] -> [N, sizes[^1]].
/// State-dict keys follow the Sequential inside: <c>layers.0.weight</c>, <c>layers.2.weight</c>, ...
/// </summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    /// <summary>Creates the network; <paramref name="activation"/> builds a fresh activation module per hidden layer (ReLU by default).</summary>
    public Mlp(int[] sizes, Func<Module<Tensor, Tensor>>? activation = null, double dropout = 0, DType dtype = DType.Float32, Generator? generator = null)
    {
        if (sizes.Length < 2) throw new ArgumentException("Mlp: give at least an input and an output size.", nameof(sizes));
        Sizes = (int[])sizes.Clone();
        activation ??= () => new ReLU();
        Layers = RegisterModule("layers", new Sequential());
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            Layers.Append(new Linear(sizes[i], sizes[i + 1], dtype: dtype, generator: generator));
            if (i + 2 < sizes.Length)
            {
                Layers.Append(activation());
                if (dropout > 0) Layers.Append(new Dropout(dropout, generator));
            }
        }
    }

    /// <summary>Layer sizes, input first.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <summary>The layers in order.</summary>
    public Sequential Layers { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Layers.Call(input);

    /// <summary>Stops training the first (hidden) layer: it keeps its random initial weights, a fixed random feature map.</summary>
    public Mlp FreezeFirstLayer()
    {
        var first = (Linear)Layers[0];
        first.Weight.RequiresGrad = false;
        if (first.Bias is not null) first.Bias.RequiresGrad = false;
        return this;
    }
}

/// <summary>
/// The lecture's hand-built XOR network: h = ReLU(W1 x + b1) with W1 = [[1, -1], [-1, 1]], b1 = 0,
/// then y = w2 . h + b2 with w2 = [1, 1], b2 = 0. For x in {0, 1}^2 it computes x1 XOR x2 exactly.
/// </summary>
public static class XorNetwork
{
    /// <summary>Builds the network with the lecture's weights.</summary>
    public static Sequential Create(DType dtype = DType.Float32)
    {
        var hidden = new Linear(2, 2, dtype: dtype);
        var output = new Linear(2, 1, dtype: dtype);
        using (GradMode.NoGrad())
        {
            hidden.Weight.CopyFrom(Tensor.FromArray(new double[,] { { 1, -1 }, { -1, 1 } }));
            hidden.Bias!.Zero();
            output.Weight.CopyFrom(Tensor.FromArray(new double[,] { { 1, 1 } }));
            output.Bias!.Zero();
        }
        return new Sequential(hidden, new ReLU(), output);
    }
}
