using System.CommandLine;
using System.Globalization;
using Axon.IO;
using Axon.Models;
using Axon.Models.Generative;
using Axon.Models.Vision;
using Axon.Nn;
using Axon.Onnx;

namespace Axon.Cli;

/// <summary>
/// <c>axon export MODEL_OR_CHECKPOINT --out model.onnx</c>: an ONNX file (opset 17) of a trained model (a weights file or
/// checkpoint written by <c>axon train</c> or <c>axon lm train</c>) or of a zoo model by name (initialised from
/// <c>--seed</c>), with the batch dimension left open; see <see cref="ExportTargets"/> for what each kind of model becomes.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("model") { Description = "A .safetensors weights file or checkpoint written by axon train or axon lm train, or a zoo model's name (random weights from --seed)." };
        var output = new Option<string>("--out") { Description = "The ONNX file to write.", DefaultValueFactory = _ => "model.onnx" }
            .Require(v => v.Trim().Length > 0, "must name a file");
        var input = new Option<string?>("--input") { Description = "Shape of one image, C,H,W (default 1,28,28; 3,224,224 for the ImageNet models, 227 for alexnet-original).", HelpName = "C,H,W" };
        input.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { } text && SummaryCommand.ParseShape(text) is null)
                r.AddError($"{Cli.TypedName(r)} must be positive whole numbers separated by commas, such as 3,224,224 (got '{text}')");
        });
        var classes = new Option<int>("--classes") { Description = "Classes of a classifier created by name (the ImageNet models have 1000 unless this is given).", DefaultValueFactory = _ => Axon.Data.FashionMnist.ClassNames.Count }
            .Require(v => v >= 1, "must be at least 1");
        var steps = new Option<int>("--steps") { Description = "Time steps of a character language model's input (its state is an input and an output, so generation runs one step at a time).", DefaultValueFactory = _ => 1 }
            .Require(v => v is >= 1 and <= 100_000, "must be between 1 and 100000");
        var batch = new Option<int>("--batch") { Description = "Batch size of the example traced (the graph takes any batch size unless --static-batch).", DefaultValueFactory = _ => 1 }
            .Require(v => v is >= 1 and <= 4096, "must be between 1 and 4096");
        var staticBatch = new Option<bool>("--static-batch") { Description = "Fix the graph's batch size to --batch instead of leaving it open." };
        var seed = new Option<long>("--seed") { Description = "Seed of the weights of a model created by name.", DefaultValueFactory = _ => 0L };
        var command = new Command("export", "Write a model as ONNX (opset 17), for ONNX Runtime and other runtimes.") { source, output, input, classes, steps, batch, staticBatch, seed };
        command.SetAction(p => Cli.Guard(p, () =>
        {
            string arg = p.GetValue(source)!, path = p.GetValue(output)!;
            var (model, name, from) = Resolve(arg, p.GetValue(classes), p.Typed(classes), p.GetValue(seed));
            int[] example = p.GetValue(input) is { } text ? SummaryCommand.ParseShape(text)! : DefaultExample(name);
            var target = ExportTargets.For(model, example, p.GetValue(batch), p.GetValue(steps), p.GetValue(staticBatch));
            OnnxExportSummary summary;
            try
            {
                summary = target.Save(path);
            }
            catch (ArgumentException e) when (p.Typed(input))
            {
                throw new ArgumentException($"--input {p.GetValue(input)}: {name} cannot take it: {Cli.Message(e)}", e);
            }
            var o = p.InvocationConfiguration.Output;
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {path} ({summary.Bytes / 1e6:F1} MB, ONNX opset {OnnxExport.Opset}): {name} {from}, {target.Description}."));
            o.WriteLine($"  inputs:  {string.Join("; ", summary.Inputs)}");
            o.WriteLine($"  outputs: {string.Join("; ", summary.Outputs)}");
            o.WriteLine($"  {summary.Nodes} nodes ({string.Join(", ", summary.OpCounts.Select(kv => $"{kv.Key} {kv.Value}"))}), {summary.Initializers} initializers.");
            return 0;
        }));
        return command;
    }

    /// <summary>The model a file holds (loaded, in evaluation mode), or the zoo model of that name (initialised from <paramref name="seed"/>).</summary>
    internal static (Module Model, string Name, string From) Resolve(string arg, int classes, bool classesTyped, long seed)
    {
        if (File.Exists(arg)) return Load(arg);
        if (Directory.Exists(arg) || arg.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) || arg.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new FileNotFoundException($"{arg}: no such file (give a model.safetensors or checkpoint.safetensors, or a zoo model's name).", arg);
        var g = new Generator(seed);
        string from = $"with random weights (seed {seed})";
        if (GenerativeZoo.Contains(arg))
        {
            if (classesTyped) throw new ArgumentException($"--classes: {arg} is not a classifier.");
            return (GenerativeZoo.Create(arg, g), arg, from);
        }
        if (ModelZoo.Names.Any(n => n.Name.Equals(arg, StringComparison.OrdinalIgnoreCase))) return (ModelZoo.Create(arg, classes, g), arg, from);
        // The vision zoo's small variants take Fashion-MNIST's images; the others ImageNet's photos.
        if (VisionZoo.Contains(arg) && VisionZoo.InputSize(arg) == 28) return (VisionZoo.Create(arg, classes, 1, g), arg, from);
        if (VisionZoo.Contains(arg)) return (VisionZoo.Create(arg, classesTyped ? classes : 1000, generator: g), arg, from);
        throw new ArgumentException($"{arg}: neither a file nor a known model. Known models: {string.Join(", ", ModelZoo.Names.Select(n => n.Name).Concat(GenerativeZoo.Names.Select(n => n.Name)).Concat(VisionZoo.Names.Select(n => n.Name)).Distinct(StringComparer.OrdinalIgnoreCase))}.");
    }

    private static (Module, string, string) Load(string path)
    {
        // Reading the metadata validates the header: a truncated or corrupt file stops here with the file named.
        var metadata = Safetensors.ReadMetadata(path);
        string from = $"from {path}";
        string name = metadata.GetValueOrDefault(TrainCommand.ModelKey)
            ?? throw new InvalidDataException($"{path}: the file does not say which model it holds; it was not written by axon train or axon lm train.");
        if (name == "char-lm")
        {
            var (lm, _) = CharLm.FromMetadata(metadata, path);
            if (metadata.ContainsKey("axon.epoch")) Checkpoint.Load(path, lm);
            else lm.Load(path);
            return (lm.Eval(), name, from);
        }
        if (GenerativeZoo.Contains(name))
        {
            var (model, _) = GenerateCommand.Load(path, Environment.ProcessorCount);
            return (model, name, from);
        }
        var (classifier, _) = ModelCommands.LoadModel(path, null, Environment.ProcessorCount);
        return (classifier, name, from);
    }

    private static int[] DefaultExample(string name) =>
        VisionZoo.Contains(name) && VisionZoo.InputSize(name) != 28 && !ModelZoo.Names.Any(n => n.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            ? [3, VisionZoo.InputSize(name), VisionZoo.InputSize(name)]
            : [1, 28, 28];
}
