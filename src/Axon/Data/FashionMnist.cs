namespace Axon.Data;

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): 28x28 grey-scale images of clothing in ten classes
/// (<see cref="ClassNames"/>), 60000 for training and 10000 for testing, as torchvision.datasets.FashionMNIST.
/// The images stay in memory as bytes (784 per image); <see cref="GetBatch"/> turns the requested ones directly into
/// a float32 [N, 1, 28, 28] batch scaled to [0, 1] and normalised, (x/255 − mean)/std, with one table lookup per pixel
/// and no per-sample tensor. Targets are int64 class indices [N].
/// <code>
/// var train = FashionMnist.Load();                 // /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)
/// var test = FashionMnist.Load(train: false);
/// var loader = new DataLoader(train, batchSize: 128, shuffle: true, generator: new Generator(0), prefetch: 2);
/// </code>
/// </summary>
public sealed class FashionMnist : Dataset
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image height and width.</summary>
    public const int ImageSize = 28;

    /// <summary>Pixels per image.</summary>
    public const int Pixels = ImageSize * ImageSize;

    /// <summary>Mean pixel value of the training set after scaling to [0, 1] (the usual normalisation constant).</summary>
    public const float TrainMean = 0.2860f;

    /// <summary>Standard deviation of the training-set pixels after scaling to [0, 1].</summary>
    public const float TrainStd = 0.3530f;

    private static readonly string[] Names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private readonly byte[] images;
    private readonly byte[] labels;
    private readonly float[] table = new float[256];

    /// <summary>
    /// Wraps images and labels already in memory (kept by reference): <paramref name="images"/> holds
    /// <c>labels.Length</c> 28x28 images of bytes, row-major, and each label is below 10.
    /// </summary>
    /// <param name="images">The pixels, 784 bytes per image.</param>
    /// <param name="labels">The class of each image, 0..9.</param>
    /// <param name="mean">Subtracted after scaling to [0, 1] (0 with <paramref name="std"/> = 1 leaves the pixels in [0, 1]).</param>
    /// <param name="std">Divides after subtracting the mean (positive).</param>
    public FashionMnist(byte[] images, byte[] labels, float mean = TrainMean, float std = TrainStd)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if ((long)labels.Length * Pixels != images.Length)
            throw new ArgumentException($"FashionMnist: {labels.Length} labels need {(long)labels.Length * Pixels} bytes of 28x28 images, got {images.Length}.", nameof(images));
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= Names.Length) throw new ArgumentException($"FashionMnist: label {i} is {labels[i]}; the classes are 0..9.", nameof(labels));
        if (!float.IsFinite(mean)) throw new ArgumentOutOfRangeException(nameof(mean), mean, "FashionMnist: the mean must be finite.");
        if (!(std > 0) || !float.IsFinite(std)) throw new ArgumentOutOfRangeException(nameof(std), std, "FashionMnist: the standard deviation must be positive and finite.");
        this.images = images;
        this.labels = labels;
        Mean = mean;
        Std = std;
        for (int v = 0; v < 256; v++) table[v] = (v / 255f - mean) / std;
    }

    /// <summary>The class names, indexed by label: T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot.</summary>
    public static IReadOnlyList<string> ClassNames => Names;

    /// <summary>The mean subtracted from the [0, 1] pixels.</summary>
    public float Mean { get; }

    /// <summary>The standard deviation the pixels are divided by.</summary>
    public float Std { get; }

    /// <inheritdoc/>
    public override int Count => labels.Length;

    /// <summary>All the pixels, 784 bytes per image, row-major.</summary>
    public ReadOnlySpan<byte> ImageBytes => images;

    /// <summary>All the labels, one byte (0..9) per image.</summary>
    public ReadOnlySpan<byte> Labels => labels;

    /// <summary>The 784 bytes of image <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Image(int index)
    {
        CheckIndex(index);
        return images.AsSpan(index * Pixels, Pixels);
    }

    /// <summary>
    /// Loads the training (<paramref name="train"/>) or test set from <paramref name="directory"/> (default
    /// <see cref="DefaultDirectory"/>), which holds <c>{train,t10k}-images-idx3-ubyte</c> and
    /// <c>{train,t10k}-labels-idx1-ubyte</c>, each raw or with a <c>.gz</c> suffix.
    /// </summary>
    /// <param name="directory">The directory with the IDX files (default: the Debian package's).</param>
    /// <param name="train">The 60000 training images, or else the 10000 test images.</param>
    /// <param name="mean">Normalisation mean (see the constructor).</param>
    /// <param name="std">Normalisation standard deviation (see the constructor).</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist (the message says how to install the data).</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">A file is corrupt or the files do not match (the message names the file).</exception>
    public static FashionMnist Load(string? directory = null, bool train = true, float mean = TrainMean, float std = TrainStd)
    {
        string dir = directory ?? DefaultDirectory;
        string hint = $"Install the Debian package with `sudo apt-get install dataset-fashion-mnist` (it puts the files in {DefaultDirectory}), " +
            "or pass FashionMnist.Load the directory holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz (with or without .gz).";
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"Fashion-MNIST: the directory {dir} does not exist. {hint}");
        string prefix = train ? "train" : "t10k";
        string imagesPath = Find(dir, $"{prefix}-images-idx3-ubyte", hint);
        string labelsPath = Find(dir, $"{prefix}-labels-idx1-ubyte", hint);
        return LoadFiles(imagesPath, labelsPath, mean, std);
    }

    /// <summary>Loads an image file (uint8, N x 28 x 28) and a label file (uint8, N, each &lt; 10) in IDX format, raw or gzip.</summary>
    /// <exception cref="InvalidDataException">A file is corrupt or the files do not match (the message names the file).</exception>
    public static FashionMnist LoadFiles(string imagesPath, string labelsPath, float mean = TrainMean, float std = TrainStd)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        var imageArray = Idx.Read(imagesPath);
        if (imageArray.ElementType != IdxElementType.UInt8)
            throw Idx.Error(imagesPath, $"the images must be unsigned bytes (type 0x08), this file holds {imageArray.ElementType}");
        var shape = imageArray.Shape;
        if (shape.Length != 3 || shape[1] != ImageSize || shape[2] != ImageSize)
            throw Idx.Error(imagesPath, $"the images must have the shape N x 28 x 28, this file holds {Idx.FormatShape(shape)}");
        var labelArray = Idx.Read(labelsPath);
        if (labelArray.ElementType != IdxElementType.UInt8)
            throw Idx.Error(labelsPath, $"the labels must be unsigned bytes (type 0x08), this file holds {labelArray.ElementType}");
        if (labelArray.Shape.Length != 1)
            throw Idx.Error(labelsPath, $"the labels must be a vector (rank 1), this file has the shape {Idx.FormatShape(labelArray.Shape)}");
        if (labelArray.Count != shape[0])
            throw Idx.Error(labelsPath, $"{labelArray.Count} labels but {imagesPath} holds {shape[0]} images; the counts must match");
        var labelBytes = labelArray.Data;
        for (int i = 0; i < labelBytes.Length; i++)
            if (labelBytes[i] >= Names.Length) throw Idx.Error(labelsPath, $"label {i} is {labelBytes[i]}; Fashion-MNIST has classes 0..9");
        return new FashionMnist(imageArray.Data, labelBytes, mean, std);
    }

    private static string Find(string dir, string stem, string hint)
    {
        foreach (string name in (string[])[stem + ".gz", stem])
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        throw new FileNotFoundException($"Fashion-MNIST: {dir} has neither {stem}.gz nor {stem}. {hint}", Path.Combine(dir, stem + ".gz"));
    }

    private void CheckIndex(int index)
    {
        if ((uint)index >= (uint)labels.Length) throw new ArgumentOutOfRangeException(nameof(index), index, $"Index {index} is out of range for a dataset of {labels.Length} samples.");
    }

    /// <summary>Sample <paramref name="index"/>: the normalised image [1, 28, 28] float32 and its label (a 0-d int64 tensor).</summary>
    public override (Tensor Input, Tensor Target) Get(int index)
    {
        CheckIndex(index);
        var x = Tensor.Empty([1, ImageSize, ImageSize], DType.Float32);
        Convert(images.AsSpan(index * Pixels, Pixels), x.AsSpan<float>());
        var y = Tensor.Empty([], DType.Int64);
        y.AsSpan<long>()[0] = labels[index];
        return (x, y);
    }

    /// <summary>The images at <paramref name="indices"/> as one float32 [N, 1, 28, 28] tensor and their labels as int64 [N].</summary>
    public override (Tensor Input, Tensor Target) GetBatch(IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Count == 0) throw new ArgumentException("A batch needs at least one index.", nameof(indices));
        foreach (int i in indices) CheckIndex(i);
        var x = Tensor.Empty([indices.Count, 1, ImageSize, ImageSize], DType.Float32);
        var y = Tensor.Empty([indices.Count], DType.Int64);
        var xs = x.AsSpan<float>();
        var ys = y.AsSpan<long>();
        for (int k = 0; k < indices.Count; k++)
        {
            int i = indices[k];
            Convert(images.AsSpan(i * Pixels, Pixels), xs.Slice(k * Pixels, Pixels));
            ys[k] = labels[i];
        }
        return (x, y);
    }

    private void Convert(ReadOnlySpan<byte> source, Span<float> destination)
    {
        var t = table;
        for (int p = 0; p < source.Length; p++) destination[p] = t[source[p]];
    }
}
