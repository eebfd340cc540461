using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Axon.Data;
using Axon.IO;
using Axon.Models.Generative;

namespace Axon.Cli;

/// <summary>
/// <c>axon judge</c>: scores generated Fashion-MNIST images with a trained Axon classifier. The distance is a Fréchet
/// distance in the feature space of Axon's own classifier (the activations feeding its last layer), NOT the FID of the
/// Inception network, so its values are comparable with each other (same classifier, same number of images) but not
/// with published FIDs. Beside it: the floor (real training images against the test images) and the ceiling (uniform
/// noise against the test images), computed with the same number of images, and, for InfoGAN, how well the categorical
/// code matches the classes the classifier sees.
/// </summary>
internal static class JudgeCommand
{
    // Relaxed escaping keeps apostrophes and accents readable in the file (it is data, never embedded in HTML).

    /// <summary>The key of the images in a samples file.</summary>
    public const string ImagesKey = "images";

    /// <summary>The key of the optional categorical codes in a samples file.</summary>
    public const string CategoriesKey = "categories";

    // More codes than this is not a categorical code of a generative model but a mistake (e.g. an index per sample).
    private const int MaxCodes = 1000;

    public static Command Create()
    {
        var classifier = new Option<string>("--classifier") { Description = "A model.safetensors written by axon train (its metadata names the model; lecture-cnn, lenet5, vgg-small or mlp).", Required = true };
        var samples = new Option<string>("--samples") { Description = $"A safetensors file with \"{ImagesKey}\": F32 [N, 1, 28, 28] in [0, 1], and optionally \"{CategoriesKey}\": I64 [N], the categorical code each image was generated from (InfoGAN).", Required = true };
        var dataDir = new Option<string?>("--data-dir") { Description = $"Directory with the Fashion-MNIST IDX files (default {FashionMnist.DefaultDirectory})." }
            .Require(v => v is null || v.Trim().Length > 0, "must name the directory holding the Fashion-MNIST IDX files");
        var json = new Option<string?>("--json") { Description = "Also write the scores to this JSON file." };
        var threads = TrainingOptionSet.NewThreadsOption();
        var command = new Command("judge",
            "Judge generated images: the Fréchet distance to the Fashion-MNIST test images in the feature space of Axon's own " +
            "classifier (its penultimate layer; NOT the Inception network's FID, so not comparable with published FIDs), with " +
            "the floor (real training images) and the ceiling (uniform noise) for the same number of images, and for InfoGAN " +
            "the best-matching accuracy of the categorical code against the classifier's classes.")
        {
            classifier, samples, dataDir, json, threads,
        };
        command.SetAction(p => Cli.Guard(p, () =>
        {
            var result = Judge(p.GetValue(classifier)!, p.GetValue(samples)!, p.GetValue(dataDir), p.GetValue(threads), p.InvocationConfiguration.Output);
            if (p.GetValue(json) is { } path)
                AtomicFile.WriteAllBytes(path, CliJson.SerializeRelaxed(result));
            return 0;
        }));
        return command;
    }

    /// <summary>Reads and checks a samples file: the images as [0, 1] pixels (784 per image) and the codes, if any.</summary>
    public static (float[] Pixels, int Count, long[]? Categories) ReadSamples(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        var tensors = Safetensors.Load(path).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        if (!tensors.TryGetValue(ImagesKey, out var images))
            throw new InvalidDataException($"{path}: no \"{ImagesKey}\" tensor (found: {(tensors.Count == 0 ? "none" : string.Join(", ", tensors.Keys))}); it must hold the images as F32 [N, 1, 28, 28].");
        var shape = images.GetShape();
        if (images.DType != DType.Float32)
            throw new InvalidDataException($"{path}: \"{ImagesKey}\" is {images.DType} {Shape(shape)}; expected F32 [N, 1, 28, 28].");
        if (shape is not [>= 2, 1, 28, 28])
            throw new InvalidDataException($"{path}: \"{ImagesKey}\" has shape {Shape(shape)}; expected [N, 1, 28, 28] with N >= 2.");
        var pixels = images.ToArray<float>();
        for (int i = 0; i < pixels.Length; i++)
            if (!(pixels[i] >= 0 && pixels[i] <= 1))
                throw new InvalidDataException($"{path}: \"{ImagesKey}\" holds {pixels[i].ToString(CultureInfo.InvariantCulture)} at image {i / 784}, pixel {i % 784}; pixels must be in [0, 1].");
        int n = shape[0];
        long[]? categories = null;
        if (tensors.TryGetValue(CategoriesKey, out var codes))
        {
            var codeShape = codes.GetShape();
            if (codes.DType != DType.Int64 || codeShape is not [_] || codeShape[0] != n)
                throw new InvalidDataException($"{path}: \"{CategoriesKey}\" is {codes.DType} {Shape(codeShape)}; expected I64 [{n}], one code per image.");
            categories = codes.ToArray<long>();
            for (int i = 0; i < n; i++)
                if (categories[i] is < 0 or >= MaxCodes)
                    throw new InvalidDataException($"{path}: \"{CategoriesKey}\" holds {categories[i]} at {i}; codes must be in 0..{MaxCodes - 1}.");
        }
        return (pixels, n, categories);
    }

    private static string Shape(int[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Runs the judge and prints the report; returns the JSON document.</summary>
    public static Dictionary<string, object?> Judge(string classifierPath, string samplesPath, string? dataDir, int threads, TextWriter output)
    {
        var watch = Stopwatch.StartNew();
        var (pixels, n, categories) = ReadSamples(samplesPath);
        var (model, modelName) = ModelCommands.LoadModel(classifierPath, null, threads);
        var features = new ClassifierFeatures(model);
        string dir = TrainCommand.ResolveDataDir(dataDir);
        var test = FashionMnist.Load(dir, train: false);
        var train = FashionMnist.Load(dir, train: true);

        var testOut = features.Evaluate(Pixels(test.ImageBytes), test.Count);
        long correct = 0;
        for (int i = 0; i < test.Count; i++) if (testOut.Predictions[i] == test.Labels[i]) correct++;
        double testAccuracy = (double)correct / test.Count;
        var reference = testOut.Statistics();

        var sampleOut = features.Evaluate(pixels, n);
        double fid = FrechetDistance.Compute(reference, sampleOut.Statistics());
        // The floor and ceiling with as many images as the samples: the estimate depends on N (it is biased upward).
        int floorCount = Math.Min(n, Math.Min(10_000, train.Count));
        double floor = FrechetDistance.Compute(reference, features.Evaluate(Pixels(train.ImageBytes[..(floorCount * FashionMnist.Pixels)]), floorCount).Statistics());
        var noise = new float[(long)n * FashionMnist.Pixels];
        var g = new Generator(0);
        for (int i = 0; i < noise.Length; i++) noise[i] = g.NextSingle();
        double ceiling = FrechetDistance.Compute(reference, features.Evaluate(noise, n).Statistics());

        var names = FashionMnist.ClassNames;
        var histogram = new long[names.Count];
        foreach (int c in sampleOut.Predictions) histogram[c]++;
        var doc = new Dictionary<string, object?>
        {
            ["classifier"] = classifierPath,
            ["classifier_model"] = modelName,
            ["classifier_test_accuracy"] = testAccuracy,
            ["samples"] = samplesPath,
            ["count"] = n,
            ["feature_dim"] = reference.Dimension,
            ["feature_space"] = $"penultimate layer of Axon's {modelName} Fashion-MNIST classifier (not Inception: not comparable with published FIDs)",
            ["fid"] = fid,
            ["fid_floor"] = floor,
            ["fid_floor_count"] = floorCount,
            ["fid_ceiling"] = ceiling,
            ["class_histogram"] = names.Select((name, c) => (name, c)).ToDictionary(x => x.name, x => histogram[x.c]),
        };

        output.WriteLine($"Classifier {classifierPath} ({modelName}): test accuracy {Cli.F(100 * testAccuracy, "F2")} % on {test.Count} images; features of dimension {reference.Dimension}.");
        output.WriteLine($"Fréchet distance to the {test.Count} test images in the classifier's feature space (not Inception's FID), {n} images each:");
        output.WriteLine($"  samples  {Cli.F(fid, "F3"),12}   {samplesPath}");
        output.WriteLine($"  floor    {Cli.F(floor, "F3"),12}   the first {floorCount} training images");
        output.WriteLine($"  ceiling  {Cli.F(ceiling, "F3"),12}   uniform noise U(0, 1), seed 0");
        output.WriteLine("Predicted classes of the samples: " + string.Join(", ", names.Select((name, c) => $"{name} {histogram[c]}")) + ".");
        if (categories is not null) AddMatching(doc, categories, sampleOut.Predictions, output);
        output.WriteLine($"({Cli.F(watch.Elapsed.TotalSeconds, "F1")} s, {Cli.Threads(threads)})");
        return doc;
    }

    /// <summary>The best one-to-one matching of the codes to the predicted classes, padded to a square with empty rows or columns.</summary>
    private static void AddMatching(Dictionary<string, object?> doc, long[] categories, int[] predictions, TextWriter output)
    {
        var names = FashionMnist.ClassNames;
        int codes = (int)categories.Max() + 1;
        int k = Math.Max(codes, names.Count);
        var counts = new long[k, k];
        for (int i = 0; i < categories.Length; i++) counts[categories[i], predictions[i]]++;
        var matching = BestMatching.Find(counts);
        var assignment = new Dictionary<string, string?>();
        for (int c = 0; c < codes; c++)
            assignment[c.ToString(CultureInfo.InvariantCulture)] = matching.Assignment[c] < names.Count ? names[matching.Assignment[c]] : null;
        doc["codes"] = codes;
        doc["matching_accuracy"] = matching.Accuracy;
        doc["assignment"] = assignment;
        output.WriteLine($"Categorical code against the classifier's classes ({codes} codes): best-matching accuracy {Cli.F(100 * matching.Accuracy, "F2")} %.");
        output.WriteLine("  " + string.Join(", ", assignment.Select(kv => $"{kv.Key} -> {kv.Value ?? "(none)"}")));
    }

    private static float[] Pixels(ReadOnlySpan<byte> bytes)
    {
        var result = new float[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) result[i] = bytes[i] / 255f;
        return result;
    }
}
