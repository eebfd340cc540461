using System.CommandLine;
using System.Globalization;
using Axon.Data;
using Axon.IO;
using Axon.Models.Generative;
using Axon.Nn;
using Spectre.Console;
using static Axon.Cli.Cli;

namespace Axon.Cli;

/// <summary>
/// <c>axon generate MODEL.safetensors</c>: pictures from a generative model trained by <c>axon train</c>: a grid of
/// samples (<c>--grid 8x8</c>), interpolations (<c>--interpolate</c>) or traversals of each code (<c>--traverse</c>)
/// as a PNG, or, with <c>--out FILE.safetensors</c>, <c>--count</c> samples to judge ("images" [N, 1, 28, 28] in [0, 1],
/// and an InfoGAN's "categories").
/// </summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A model.safetensors or checkpoint.safetensors written by axon train --model " + string.Join("|", GenerativeZoo.Names.Select(n => n.Name)) + "." };
        var grid = new Option<string>("--grid") { Description = "Rows x columns of the picture (for --interpolate: rows x steps; for --traverse: the steps are the columns).", DefaultValueFactory = _ => "8x8" }
            .Require(v => ParseGrid(v) is not null, "must be ROWSxCOLUMNS, each between 1 and 64 (for example 8x8)");
        var output = new Option<string>("--out") { Description = "The PNG to write, or a .safetensors file for --count samples.", DefaultValueFactory = _ => "samples.png" }
            .Require(v => v.Trim().Length > 0, "must name a file");
        var interpolate = new Option<bool>("--interpolate") { Description = "Draw interpolations between two codes (VAE and autoencoders: between two test images)." };
        var traverse = new Option<bool>("--traverse") { Description = "Draw traversals: each code dimension varied alone (InfoGAN: each continuous code, and the categorical code)." };
        var range = new Option<double>("--range") { Description = "Traversals run from -RANGE to RANGE.", DefaultValueFactory = _ => 2.0 }
            .Require(v => v > 0 && double.IsFinite(v), "must be positive");
        var count = new Option<int>("--count") { Description = "Samples to write to a .safetensors --out (InfoGAN: the categories in equal shares, in order).", DefaultValueFactory = _ => 10_000 }
            .Require(v => v is >= 1 and <= 1_000_000, "must be between 1 and 1000000");
        var seed = new Option<long>("--seed") { Description = "Seed of the codes and of the test images drawn.", DefaultValueFactory = _ => 0L };
        var dataDir = new Option<string?>("--data-dir") { Description = $"Directory with the Fashion-MNIST IDX files, for the test images that autoencoders and a VAE's interpolations start from (default {FashionMnist.DefaultDirectory})." };
        var threads = TrainingOptionSet.NewThreadsOption();
        var device = new DeviceOptions();
        var command = new Command("generate", "Pictures (samples, interpolations, traversals) or samples to judge from a generative model.") { file, grid, output, interpolate, traverse, range, count, seed, dataDir, threads, device.Device, device.Tf32 };
        command.Validators.Add(r =>
        {
            device.Check(r);
            if (r.ValueOr(interpolate, false) && r.ValueOr(traverse, false)) r.AddError("--interpolate and --traverse draw different pictures; give one of them.");
        });
        command.SetAction(p => Guard(p, () =>
        {
            string path = p.GetValue(file)!, outPath = p.GetValue(output)!;
            var (model, name) = Load(path, device.Open(p, p.GetValue(threads)));
            var generator = new Generator(p.GetValue(seed));
            IDataset? Test() => FashionMnist.Load(TrainCommand.ResolveDataDir(p.GetValue(dataDir), withTrainingSet: false), train: false, mean: 0, std: 1);
            if (outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            {
                var (images, categories) = GenerativePictures.SampleImages(model, p.GetValue(count), generator);
                var tensors = new List<KeyValuePair<string, Tensor>> { new("images", images) };
                if (categories is not null) tensors.Add(new("categories", Tensor.FromArray(categories, categories.Length)));
                Plots.SaveAtomically(outPath, tmp => Safetensors.Save(tmp, tensors, new Dictionary<string, string> { ["model"] = name, ["source"] = Path.GetFullPath(path) }));
                AnsiConsole.MarkupLine(Markup.Escape($"Wrote {images.Size(0)} samples of {name} to {outPath}{(categories is null ? "" : " (with their categories)")}."));
                return 0;
            }
            var (rows, columns) = ParseGrid(p.GetValue(grid)!)!.Value;
            bool needsImages = model is AutoencoderBase || (model is Vae && (p.GetValue(interpolate) || p.GetValue(traverse)));
            var data = needsImages ? Test() : null;
            IReadOnlyList<ImageGrid> grids = p.GetValue(interpolate) ? [GenerativePictures.Interpolation(model, rows, columns, generator, data)]
                : p.GetValue(traverse) ? GenerativePictures.Traversals(model, columns, generator, data, p.GetValue(range))
                : [GenerativePictures.Samples(model, rows, columns, generator, data, GenerativeZoo.Corruption(name))];
            ImageGrids.Save(outPath, grids);
            AnsiConsole.MarkupLine(Markup.Escape($"Wrote {outPath}: {string.Join("; ", grids.Select(g => $"{g.Title} ({g.Rows}x{g.Columns})"))}."));
            return 0;
        }));
        return command;
    }

    /// <summary>The pictures <c>axon train</c> writes at the end of a run: samples, an interpolation, traversals.</summary>
    internal static IEnumerable<(string File, IReadOnlyList<ImageGrid> Grids)> Pictures(Module model, IDataset test, Generator generator, string? name = null)
    {
        yield return ("samples.png", [GenerativePictures.Samples(model, 8, 8, generator, test, name is null ? null : GenerativeZoo.Corruption(name))]);
        yield return ("interpolation.png", [GenerativePictures.Interpolation(model, 8, 10, generator, test)]);
        if (model is not AutoencoderBase) yield return ("traversal.png", GenerativePictures.Traversals(model, 9, generator, test));
    }

    /// <summary>Creates the generative model a weights file or checkpoint was saved from, and loads it (evaluation mode).</summary>
    internal static (Module Model, string Name) Load(string path, int threads) => Load(path, Device.CpuWith(new Axon.Backends.CpuOptions { Threads = threads }));

    /// <summary>Creates the generative model a weights file or checkpoint was saved from, loads it and moves it to <paramref name="device"/>.</summary>
    internal static (Module Model, string Name) Load(string path, Device device)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file.", path);
        var metadata = Safetensors.Load(path).Metadata;
        if (!metadata.TryGetValue(TrainCommand.ModelKey, out var name))
            throw new InvalidDataException($"{path}: the file does not say which model it holds; it was not written by axon train.");
        if (!GenerativeZoo.Contains(name))
            throw new ArgumentException($"{path} holds {name}, which does not generate images; axon generate takes {string.Join(", ", GenerativeZoo.Names.Select(n => n.Name))} (axon predict and axon eval take the classifiers).");
        var model = GenerativeZoo.Create(name);
        if (metadata.ContainsKey("axon.epoch")) Checkpoint.Load(path, model);
        else model.Load(path);
        model.Eval();
        model.To(device);
        return (model, name);
    }

    private static (int Rows, int Columns)? ParseGrid(string text)
    {
        var parts = text.Split('x', 'X');
        if (parts.Length != 2) return null;
        if (!int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int r) || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int c)) return null;
        return r is >= 1 and <= 64 && c is >= 1 and <= 64 ? (r, c) : null;
    }
}
