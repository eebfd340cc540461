using System.Text;
using Axon.Data;

namespace Axon.Imaging;

/// <summary>
/// A data set of image files sorted into one sub-folder per class (torchvision.datasets.ImageFolder):
/// <code>
/// root/dog/xxx.png        root/cat/123.jpg
/// root/dog/xxy.jpeg       root/cat/nsdf3.png
/// </code>
/// The classes are the sub-folders' names in ordinal order, numbered from 0; each class's samples are the files
/// under its folder (sub-folders included, walked in ordinal order of their paths, files in ordinal order of their
/// names) whose extension is one of <see cref="ImageFile.Extensions"/>, in any case; other files are skipped. Files are
/// listed once, when the data set is made, and decoded when a sample is asked for.
/// <para>
/// Sample i is (image, class index): the image decoded as <see cref="Mode"/> says ([C, H, W] float32 in [0, 1]) and,
/// if given, passed through <see cref="Transform"/>; the class index a 0-d int64 tensor. Photos come in all sizes, so a
/// <see cref="DataLoader"/> needs a transform that makes them one size (e.g. <c>new Compose(new Resize(256), new
/// CenterCrop(224))</c>, or <c>RandomResizedCrop(224)</c> for training); a batch of differently sized images is an
/// error naming two files and their shapes. The transform's randomness comes from this data set's generator, drawn
/// under a lock image after image, so the same seed and the same order of requests (a DataLoader's, for one) give the
/// same images. Batch-wide transforms such as <see cref="Normalize"/> can go either here or to the DataLoader.
/// </para>
/// </summary>
public sealed class ImageFolder : Dataset
{
    private readonly (string Path, int ClassIndex)[] samples;
    private readonly string[] classes;
    private readonly Generator generator;
    private readonly Lock gate = new();

    /// <summary>Lists the classes and images under <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding one sub-folder per class.</param>
    /// <param name="transform">Applied to each decoded image [C, H, W] (null: the image as decoded).</param>
    /// <param name="mode">How colours map to channels (default RGB, as torchvision's loader).</param>
    /// <param name="generator">The transform's source of randomness (default: a new generator seeded with 0).</param>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException">No class folders, or a class folder without images.</exception>
    public ImageFolder(string root, Transform? transform = null, ImageMode mode = ImageMode.Rgb, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"ImageFolder: {root}: no such folder.");
        Root = root;
        Transform = transform;
        Mode = mode;
        this.generator = generator ?? new Generator(0);
        classes = [.. Directory.EnumerateDirectories(root).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];
        if (classes.Length == 0)
            throw new InvalidDataException($"ImageFolder: {root} has no class folders; put each class's images in a sub-folder named after the class.");
        ClassToIndex = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        var list = new List<(string, int)>();
        var empty = new List<string>();
        for (int k = 0; k < classes.Length; k++)
        {
            int before = list.Count;
            foreach (var file in FilesUnder(Path.Combine(root, classes[k])))
                list.Add((file, k));
            if (list.Count == before) empty.Add(classes[k]);
        }
        if (empty.Count > 0)
            throw new InvalidDataException($"ImageFolder: {root}: no image files ({string.Join(", ", ImageFile.Extensions)}) for the classes {string.Join(", ", empty)}.");
        samples = [.. list];
    }

    /// <summary>Image files under <paramref name="folder"/>: folders in ordinal order of their paths, files by name within each.</summary>
    private static IEnumerable<string> FilesUnder(string folder)
    {
        var folders = Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Append(folder).Order(StringComparer.Ordinal);
        foreach (var dir in folders)
            foreach (var file in Directory.EnumerateFiles(dir).Where(ImageFile.HasImageExtension).Order(StringComparer.Ordinal))
                yield return file;
    }

    /// <summary>The folder the data set was listed from.</summary>
    public string Root { get; }

    /// <summary>The per-image transform, or null.</summary>
    public Transform? Transform { get; }

    /// <summary>How the images are decoded.</summary>
    public ImageMode Mode { get; }

    /// <summary>The class names (the sub-folders), in ordinal order; class i is <c>Classes[i]</c>.</summary>
    public IReadOnlyList<string> Classes => classes;

    /// <summary>The index of each class name.</summary>
    public IReadOnlyDictionary<string, int> ClassToIndex { get; }

    /// <summary>Every sample's file path and class index, in order.</summary>
    public IReadOnlyList<(string Path, int ClassIndex)> Samples => samples;

    /// <summary>Every sample's class index, in order (torchvision's <c>targets</c>).</summary>
    public IReadOnlyList<int> Targets => [.. samples.Select(s => s.ClassIndex)];

    /// <inheritdoc/>
    public override int Count => samples.Length;

    /// <summary>Sample <paramref name="index"/>: the decoded, transformed image and its class index (a 0-d int64 tensor).</summary>
    /// <exception cref="InvalidDataException">The file cannot be decoded (the message names it).</exception>
    public override (Tensor Input, Tensor Target) Get(int index)
    {
        if ((uint)index >= (uint)samples.Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is out of range for an image folder of {samples.Length} images.");
        var (path, label) = samples[index];
        var image = ImageFile.Load(path, Mode);
        if (Transform is not null)
        {
            Tensor transformed;
            lock (gate) transformed = Transform.Apply(image, generator);
            if (!ReferenceEquals(transformed, image)) image.Dispose();
            image = transformed;
        }
        return (image, Tensor.Scalar(label, DType.Int64));
    }

    /// <summary>The samples at <paramref name="indices"/> stacked into [N, C, H, W] images and [N] class indices; the images must share one shape.</summary>
    public override (Tensor Input, Tensor Target) GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("A batch needs at least one index.", nameof(indices));
        var inputs = new Tensor[indices.Count];
        var targets = new Tensor[indices.Count];
        try
        {
            for (int i = 0; i < indices.Count; i++)
            {
                (inputs[i], targets[i]) = Get(indices[i]);
                if (!inputs[i].GetShape().SequenceEqual(inputs[0].GetShape()))
                    throw new InvalidOperationException(
                        $"ImageFolder: the images of a batch differ in shape: {samples[indices[0]].Path} is {Format(inputs[0])}, {samples[indices[i]].Path} is {Format(inputs[i])}; " +
                        "give the ImageFolder a transform that makes every image one size (e.g. Resize then CenterCrop, or RandomResizedCrop).");
            }
        }
        catch
        {
            foreach (var t in inputs.Concat(targets)) t?.Dispose();
            throw;
        }
        using (GradMode.NoGrad())
        {
            var batch = (Tensor.Stack(inputs), Tensor.Stack(targets));
            foreach (var t in inputs.Concat(targets)) t.Dispose(); // Stack copied them
            return batch;
        }
    }

    private static string Format(Tensor t) => "[" + string.Join(", ", t.GetShape()) + "]";

    /// <summary>As torchvision's repr: the data set's name, size, root and transform.</summary>
    public override string ToString()
    {
        var s = new StringBuilder();
        s.Append("Dataset ImageFolder\n");
        s.Append("    Number of datapoints: ").Append(samples.Length).Append('\n');
        s.Append("    Root location: ").Append(Root);
        if (Transform is not null) s.Append("\n    Transform: ").Append(Transform);
        return s.ToString();
    }
}
