using System.Reflection;

namespace Axon.Imaging;

/// <summary>
/// The 1000 ImageNet-1k (ILSVRC 2012) class names in index order, as torchvision's pretrained classifiers number their
/// logits: <c>Names[0]</c> is "tench", <c>Names[1]</c> "goldfish", …, <c>Names[999]</c> "toilet tissue". Shipped
/// inside the assembly (tools/make_imagenet_classes.py writes the list from torchvision's weights metadata).
/// </summary>
public static class ImageNetClasses
{
    private static readonly Lazy<string[]> Loaded = new(Load);

    /// <summary>Number of classes (1000).</summary>
    public const int Count = 1000;

    /// <summary>The class names; index i names logit i.</summary>
    public static IReadOnlyList<string> Names => Loaded.Value;

    private static string[] Load()
    {
        const string resource = "Axon.Imaging.imagenet_classes.txt";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Axon.Imaging: the embedded resource {resource} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var names = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (names.Length != Count) throw new InvalidOperationException($"Axon.Imaging: {resource} holds {names.Length} names, expected {Count}.");
        return names;
    }
}
