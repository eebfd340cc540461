using Axon.Nn;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Axon.Onnx.Tests;

/// <summary>Runs exported models in ONNX Runtime and compares with Axon.</summary>
internal static class OrtRunner
{
    /// <summary>The model's outputs on <paramref name="inputs"/> (in the graph's input order), one intra-op thread.</summary>
    public static Tensor[] Run(byte[] model, params Tensor[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        Assert.Equal(inputs.Length, session.InputNames.Count);
        var values = inputs.Select(ToOrt).ToArray();
        try
        {
            using var run = new RunOptions();
            using var outputs = session.Run(run, session.InputNames, values, session.OutputNames);
            return outputs.Select(ToAxon).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    private static OrtValue ToOrt(Tensor t)
    {
        long[] shape = t.GetShape().Select(d => (long)d).ToArray();
        return t.DType switch
        {
            DType.Float32 => OrtValue.CreateTensorValueFromMemory(t.ToFloatArray(), shape),
            DType.Float64 => OrtValue.CreateTensorValueFromMemory(t.ToDoubleArray(), shape),
            _ => OrtValue.CreateTensorValueFromMemory(t.ToLongArray(), shape),
        };
    }

    private static Tensor ToAxon(OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        int[] shape = info.Shape.Select(d => checked((int)d)).ToArray();
        return info.ElementDataType switch
        {
            TensorElementType.Float => Tensor.FromArray(v.GetTensorDataAsSpan<float>().ToArray(), shape),
            TensorElementType.Double => Tensor.FromArray(v.GetTensorDataAsSpan<double>().ToArray(), shape),
            TensorElementType.Int64 => Tensor.FromArray(v.GetTensorDataAsSpan<long>().ToArray(), shape),
            var other => throw new InvalidOperationException($"unexpected ONNX Runtime output type {other}"),
        };
    }

    /// <summary>
    /// Asserts the shapes match and every element is within <paramref name="atol"/> + <paramref name="rtol"/>·|expected|,
    /// reporting the worst element.
    /// </summary>
    public static void AssertClose(Tensor expected, Tensor actual, double atol, double rtol = 0, string what = "output")
    {
        Assert.Equal(expected.GetShape(), actual.GetShape());
        var e = expected.ToDoubleArray();
        var a = actual.ToDoubleArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double excess = Math.Abs(e[i] - a[i]) - (atol + rtol * Math.Abs(e[i]));
            if (!(excess <= worstExcess)) (worst, worstExcess) = (i, double.IsNaN(excess) ? double.PositiveInfinity : excess);
        }
        Assert.True(worst < 0, worst < 0 ? "" : $"{what}[{worst}]: Axon {e[worst]:R}, ONNX Runtime {a[worst]:R}, difference {Math.Abs(e[worst] - a[worst]):E3} exceeds {atol:E1} + {rtol:E1}·|Axon|.");
    }

    /// <summary>The largest absolute difference (for the tolerance table).</summary>
    public static double MaxAbsDiff(Tensor expected, Tensor actual) =>
        expected.ToDoubleArray().Zip(actual.ToDoubleArray(), (x, y) => Math.Abs(x - y)).DefaultIfEmpty(0).Max();

    /// <summary>
    /// Gives every batch norm running statistics and affine parameters away from the fresh 0, 1, 1, 0 (which would make
    /// a swapped mean and variance, or a dropped scale, invisible): means ±0.1, variances 0.5–1.5, scales 0.8–1.2, shifts ±0.1.
    /// </summary>
    public static void PerturbBatchNorms(Module model, Generator g)
    {
        var state = model.StateDict().Select(kv =>
        {
            var shape = kv.Value.GetShape();
            Tensor? replaced = kv.Key switch
            {
                _ when !IsBatchNorm(model, kv.Key) => null,
                var k when k.EndsWith(".running_mean", StringComparison.Ordinal) => Tensor.Rand(shape, g, low: -0.1, high: 0.1),
                var k when k.EndsWith(".running_var", StringComparison.Ordinal) => Tensor.Rand(shape, g, low: 0.5, high: 1.5),
                var k when k.EndsWith(".weight", StringComparison.Ordinal) => Tensor.Rand(shape, g, low: 0.8, high: 1.2),
                var k when k.EndsWith(".bias", StringComparison.Ordinal) => Tensor.Rand(shape, g, low: -0.1, high: 0.1),
                _ => null,
            };
            return new KeyValuePair<string, Tensor>(kv.Key, replaced ?? kv.Value);
        }).ToList();
        model.LoadStateDict(state);
    }

    private static bool IsBatchNorm(Module model, string key)
    {
        int dot = key.LastIndexOf('.');
        string prefix = dot < 0 ? "" : key[..dot];
        return model.NamedModules().Any(m => m.Name == prefix && m.Module is BatchNormBase);
    }
}
