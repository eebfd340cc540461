using Axon.Data;
using Axon.Models.Siamese;
using Axon.Nn;

namespace Axon.Models.Generative;

/// <summary>A picture made of images: [rows, columns, H, W] with values in [0, 1], a title and optional row labels.</summary>
public sealed record ImageGrid(Tensor Images, string Title, IReadOnlyList<string>? RowLabels = null)
{
    /// <summary>Rows of the grid.</summary>
    public int Rows => Images.Size(0);

    /// <summary>Columns of the grid.</summary>
    public int Columns => Images.Size(1);
}

/// <summary>
/// The pictures a generative model of 28×28 images is judged by: samples, interpolations and traversals (for an
/// autoencoder, reconstructions and interpolations between codes). Every random choice comes from the generator passed
/// in; images that the model needs (reconstructions, a VAE's interpolation ends) come from <c>data</c>.
/// </summary>
public static class GenerativePictures
{
    /// <summary>
    /// rows × columns samples: a VAE's decoded prior draws, a GAN's G(z) (mapped from [−1, 1]), an InfoGAN's images with
    /// the categorical code fixed per row (row k: code k) and the rest random; for an autoencoder, rows in pairs of test
    /// images and their reconstructions (with a corruption, triples: image, corrupted, reconstruction).
    /// </summary>
    public static ImageGrid Samples(Module model, int rows, int columns, Generator generator, IDataset? data = null, Transform? corruption = null)
    {
        Check(rows, columns, generator);
        int n = rows * columns;
        using var noGrad = GradMode.NoGrad();
        switch (model)
        {
            case Vae vae:
                return new ImageGrid(Shape(vae.Sample(n, generator), rows, columns), "VAE: decoded draws from the prior N(0, I)");
            case Gan gan:
                return new ImageGrid(Shape(FromTanh(gan.Sample(n, generator)), rows, columns), $"{Name(gan)}: G(z), z ~ N(0, I)");
            case InfoGan info:
                {
                    var cats = Enumerable.Range(0, n).Select(i => (long)(i / columns % info.Categories)).ToArray();
                    var images = FromTanh(info.Sample(n, generator, cats));
                    return new ImageGrid(Shape(images, rows, columns), "InfoGAN: row k has categorical code k; noise and continuous codes random",
                        Enumerable.Range(0, rows).Select(r => $"c={r % info.Categories}").ToList());
                }
            case AutoencoderBase ae:
                {
                    var source = Need(data, "reconstructions");
                    int per = corruption is null ? 2 : 3, pairs = Math.Max(1, rows / per);
                    var picked = Pick(source, pairs * columns, generator, model);
                    var fed = corruption is null ? picked : corruption.Apply(picked.Clone().Contiguous(), generator);
                    var recon = Reconstruct(ae, fed);
                    var blocks = new List<Tensor>();
                    var labels = new List<string>();
                    for (int p = 0; p < pairs; p++)
                    {
                        blocks.Add(picked.Narrow(0, p * columns, columns));
                        labels.Add("image");
                        if (corruption is not null)
                        {
                            blocks.Add(fed.Narrow(0, p * columns, columns));
                            labels.Add("corrupted");
                        }
                        blocks.Add(recon.Narrow(0, p * columns, columns));
                        labels.Add("reconstructed");
                    }
                    return new ImageGrid(Shape(Tensor.Cat(blocks.ToArray(), 0), blocks.Count, columns), "Autoencoder: test images and their reconstructions", labels);
                }
            default:
                throw Unsupported(model, "samples");
        }
    }

    /// <summary>
    /// rows interpolations of <paramref name="steps"/> images each (ends included): a VAE between the posterior means of
    /// two test images, an autoencoder between their codes, a GAN between two codes z, an InfoGAN between two noise
    /// vectors at a fixed category (row k: category k).
    /// </summary>
    public static ImageGrid Interpolation(Module model, int rows, int steps, Generator generator, IDataset? data = null) =>
        InEvalMode(model, () => InterpolationCore(model, rows, steps, generator, data));

    private static ImageGrid InterpolationCore(Module model, int rows, int steps, Generator generator, IDataset? data)
    {
        Check(rows, steps, generator);
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "GenerativePictures.Interpolation: need at least 2 steps (the two ends).");
        using var noGrad = GradMode.NoGrad();
        var t = Enumerable.Range(0, steps).Select(i => i / (double)(steps - 1)).ToArray();
        Tensor Line(Tensor a, Tensor b) => Tensor.Cat(t.Select(x => a * (1 - x) + b * x).ToArray(), 0);
        var lines = new List<Tensor>();
        switch (model)
        {
            case Vae vae:
                {
                    var ends = Pick(Need(data, "a VAE's interpolation"), 2 * rows, generator, model);
                    for (int r = 0; r < rows; r++) lines.Add(vae.Interpolate(ends.Narrow(0, 2 * r, 1), ends.Narrow(0, 2 * r + 1, 1), steps));
                    return new ImageGrid(Shape(Tensor.Cat(lines.ToArray(), 0), rows, steps), "VAE: decoded straight lines between the codes of two test images");
                }
            case AutoencoderBase ae:
                {
                    var ends = Pick(Need(data, "an autoencoder's interpolation"), 2 * rows, generator, model);
                    var codes = ae.Encode(ends);
                    for (int r = 0; r < rows; r++) lines.Add(ae.Decode(Line(codes.Narrow(0, 2 * r, 1), codes.Narrow(0, 2 * r + 1, 1))).Sigmoid());
                    return new ImageGrid(Shape(Tensor.Cat(lines.ToArray(), 0), rows, steps), "Autoencoder: decoded straight lines between the codes of two test images");
                }
            case Gan gan:
                {
                    var z = gan.Codes(2 * rows, generator);
                    for (int r = 0; r < rows; r++) lines.Add(FromTanh(gan.Forward(Line(z.Narrow(0, 2 * r, 1), z.Narrow(0, 2 * r + 1, 1)))));
                    return new ImageGrid(Shape(Tensor.Cat(lines.ToArray(), 0), rows, steps), $"{Name(gan)}: G along straight lines between two codes z");
                }
            case InfoGan info:
                {
                    for (int r = 0; r < rows; r++)
                    {
                        var a = InfoInput(info, Noise(info, generator), r % info.Categories, new float[info.Continuous]);
                        var b = InfoInput(info, Noise(info, generator), r % info.Categories, new float[info.Continuous]);
                        lines.Add(FromTanh(info.Forward(Line(a, b))));
                    }
                    return new ImageGrid(Shape(Tensor.Cat(lines.ToArray(), 0), rows, steps), "InfoGAN: between two noise vectors, categorical code k in row k, continuous codes 0",
                        Enumerable.Range(0, rows).Select(r => $"c={r % info.Categories}").ToList());
                }
            default:
                throw Unsupported(model, "interpolations");
        }
    }

    /// <summary>
    /// Traversals, each dimension varied alone over <paramref name="steps"/> values in [−range, range]: a VAE's code
    /// dimensions (one row each, around a test image's posterior mean); a GAN's first ten code dimensions; an InfoGAN's
    /// codes, one grid per continuous code (rows: categories, columns: the code from −range to range, noise fixed) and
    /// one for the categorical code (rows: noise draws, columns: categories).
    /// </summary>
    public static IReadOnlyList<ImageGrid> Traversals(Module model, int steps, Generator generator, IDataset? data = null, double range = 2) =>
        InEvalMode(model, () => TraversalsCore(model, steps, generator, data, range));

    private static IReadOnlyList<ImageGrid> TraversalsCore(Module model, int steps, Generator generator, IDataset? data, double range)
    {
        Check(1, steps, generator);
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "GenerativePictures.Traversals: need at least 2 steps.");
        if (!(range > 0) || !double.IsFinite(range)) throw new ArgumentOutOfRangeException(nameof(range), range, "GenerativePictures.Traversals: the range must be positive and finite.");
        using var noGrad = GradMode.NoGrad();
        var values = Enumerable.Range(0, steps).Select(i => -range + 2 * range * i / (steps - 1)).ToArray();
        var rows = new List<Tensor>();
        switch (model)
        {
            case Vae vae:
                {
                    var image = Pick(Need(data, "a VAE's traversal"), 1, generator, model);
                    for (int d = 0; d < vae.Latent; d++) rows.Add(vae.Traverse(image, d, values));
                    return [new ImageGrid(Shape(Tensor.Cat(rows.ToArray(), 0), vae.Latent, steps), $"VAE: each code dimension from {-range} to {range} around a test image's code",
                    Enumerable.Range(0, vae.Latent).Select(d => $"z{d}").ToList())];
                }
            case Gan gan:
                {
                    var z = gan.Codes(1, generator);
                    int dims = Math.Min(10, gan.Latent);
                    for (int d = 0; d < dims; d++)
                    {
                        var codes = z.ToArray<float>();
                        var all = Enumerable.Range(0, steps).SelectMany(i => codes.Select((v, j) => j == d ? (float)values[i] : v)).ToArray();
                        rows.Add(FromTanh(gan.Forward(Tensor.FromArray(all, steps, gan.Latent).To(z.DType).To(z.Device))));
                    }
                    return [new ImageGrid(Shape(Tensor.Cat(rows.ToArray(), 0), dims, steps), $"{Name(gan)}: code dimensions 0-{dims - 1} each from {-range} to {range}",
                    Enumerable.Range(0, dims).Select(d => $"z{d}").ToList())];
                }
            case InfoGan info:
                {
                    var grids = new List<ImageGrid>();
                    var noise = Noise(info, generator);
                    for (int k = 0; k < info.Continuous; k++)
                    {
                        var inputs = new List<Tensor>();
                        for (int c = 0; c < info.Categories; c++)
                            foreach (double v in values)
                            {
                                var cont = new float[info.Continuous];
                                cont[k] = (float)v;
                                inputs.Add(InfoInput(info, noise, c, cont));
                            }
                        grids.Add(new ImageGrid(Shape(FromTanh(info.Forward(Tensor.Cat(inputs.ToArray(), 0))), info.Categories, steps),
                            $"InfoGAN: continuous code {k + 1} from {-range} to {range} (row k: category k; same noise throughout)",
                            Enumerable.Range(0, info.Categories).Select(c => $"c={c}").ToList()));
                    }
                    var byCategory = new List<Tensor>();
                    int draws = Math.Min(steps, 10);
                    for (int r = 0; r < draws; r++)
                    {
                        var z = Noise(info, generator);
                        for (int c = 0; c < info.Categories; c++) byCategory.Add(InfoInput(info, z, c, new float[info.Continuous]));
                    }
                    grids.Add(new ImageGrid(Shape(FromTanh(info.Forward(Tensor.Cat(byCategory.ToArray(), 0))), draws, info.Categories),
                        "InfoGAN: the categorical code varied alone (columns: categories; rows: noise draws; continuous codes 0)"));
                    return grids;
                }
            default:
                throw Unsupported(model, "traversals");
        }
    }

    /// <summary>
    /// <paramref name="count"/> samples for judging a model ([count, 1, 28, 28] in [0, 1]): a VAE's or GAN's draws; an
    /// InfoGAN's with the categories in order (count / categories each, the rest random) and those categories.
    /// </summary>
    public static (Tensor Images, long[]? Categories) SampleImages(Module model, int count, Generator generator, int batchSize = 500)
    {
        Check(1, count, generator);
        var parts = new List<Tensor>();
        long[]? categories = model is InfoGan g ? Enumerable.Range(0, count).Select(i => (long)(i * g.Categories / count)).ToArray() : null;
        for (int start = 0; start < count; start += batchSize)
        {
            int n = Math.Min(batchSize, count - start);
            using var noGrad = GradMode.NoGrad();
            parts.Add(model switch
            {
                Vae vae => vae.Sample(n, generator).Reshape(n, 1, 28, 28),
                Gan gan => FromTanh(gan.Sample(n, generator)).Reshape(n, 1, 28, 28),
                InfoGan info => FromTanh(info.Sample(n, generator, categories![start..(start + n)])).Reshape(n, 1, 28, 28),
                _ => throw Unsupported(model, "samples to judge"),
            });
        }
        return (Tensor.Cat(parts.ToArray(), 0).To(DType.Float32).To(Device.Cpu), categories);
    }

    private static Tensor Reconstruct(AutoencoderBase ae, Tensor images) => InEvalMode(ae, () => ae.Call(images).Sigmoid().Reshape(images.Shape.ToArray()));

    private static T InEvalMode<T>(Module model, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool training = model.Training;
        model.Eval();
        try
        {
            return body();
        }
        finally
        {
            model.Train(training);
        }
    }

    private static Tensor Noise(InfoGan info, Generator generator) => Tensor.Randn([1, info.Noise], generator);

    private static Tensor InfoInput(InfoGan info, Tensor noise, int category, float[] continuous)
    {
        var all = new float[info.Latent];
        noise.ToArray<float>().CopyTo(all, 0);
        all[info.Noise + category] = 1;
        continuous.CopyTo(all, info.Noise + info.Categories);
        var p = info.Parameters().First();
        return Tensor.FromArray(all, 1, info.Latent).To(p.DType).To(p.Device);
    }

    private static Tensor Pick(IDataset data, int n, Generator generator, Module model)
    {
        if (data.Count < 1) throw new ArgumentException("GenerativePictures: the dataset is empty.", nameof(data));
        var order = generator.Permutation(data.Count);
        var idx = Enumerable.Range(0, n).Select(i => order[i % data.Count]).ToArray();
        var p = model.Parameters().First();
        return Tensor.Stack(idx.Select(i => data.Get(i).Input).ToArray()).To(p.DType).To(p.Device);
    }

    private static IDataset Need(IDataset? data, string what) =>
        data ?? throw new ArgumentException($"GenerativePictures: {what} need images; pass the data to draw them from.", nameof(data));

    private static Tensor FromTanh(Tensor x) => (x + 1.0) * 0.5;

    private static Tensor Shape(Tensor images, int rows, int columns)
    {
        int per = images.NumEl / (rows * columns);
        int side = (int)Math.Round(Math.Sqrt(per));
        if (side * side != per) throw new InvalidOperationException($"GenerativePictures: images of {per} values are not square.");
        return images.Contiguous().Reshape(rows, columns, side, side).To(DType.Float32).To(Device.Cpu);
    }

    private static void Check(int rows, int columns, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        if (rows < 1 || columns < 1) throw new ArgumentOutOfRangeException(nameof(rows), $"GenerativePictures: rows and columns must be positive, got {rows} × {columns}.");
    }

    private static NotSupportedException Unsupported(Module model, string what) => new(model is SiameseNetwork
        ? "A Siamese network embeds images; it does not generate them, so it has no " + what + "."
        : $"GenerativePictures: {model.GetType().Name} has no {what}; VAE, GAN, DCGAN and InfoGAN models do (autoencoders: reconstructions and interpolations).");

    /// <summary>"DCGAN" for a generator built of transposed convolutions, else "GAN": the pictures' titles.</summary>
    private static string Name(Gan gan) => gan.Generator.NamedModules().Any(m => m.Module is ConvTranspose2d) ? "DCGAN" : "GAN";
}
