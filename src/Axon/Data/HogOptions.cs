using System.Globalization;

namespace Axon.Data;

/// <summary>How the gradient histograms of a block of cells are normalised (scikit-image's <c>block_norm</c>).</summary>
public enum HogBlockNorm
{
    /// <summary>v / (‖v‖₁ + ε).</summary>
    L1,

    /// <summary>sqrt(v / (‖v‖₁ + ε)).</summary>
    L1Sqrt,

    /// <summary>v / sqrt(‖v‖₂² + ε²).</summary>
    L2,

    /// <summary>L2, then every value clipped to <see cref="HogOptions.Clip"/> and L2 again (Dalal and Triggs' choice).</summary>
    L2Hys,
}

/// <summary>
/// The geometry and normalisation of a Histogram of Oriented Gradients (<see cref="Hog"/>). The image is cut into square
/// cells of <see cref="CellSize"/> pixels (rows and columns past the last whole cell are left out); each cell holds a
/// histogram of <see cref="Orientations"/> gradient orientations weighted by the gradient magnitude; blocks of
/// <see cref="BlockSize"/> x <see cref="BlockSize"/> cells, <see cref="BlockStride"/> cells apart, are normalised and
/// concatenated. The defaults are Dalal and Triggs' (8-pixel cells, 2x2 blocks, stride 1, 9 unsigned bins, L2-Hys with
/// clip 0.2); scikit-image's <c>hog</c> defaults to 3x3 blocks, and has no stride (always 1) and no signed gradients.
/// </summary>
public sealed record HogOptions
{
    /// <summary>The side of a cell, in pixels (at least 1).</summary>
    public int CellSize { get; init; } = 8;

    /// <summary>The side of a block, in cells (at least 1).</summary>
    public int BlockSize { get; init; } = 2;

    /// <summary>The step between neighbouring blocks, in cells (at least 1; 1 makes the blocks overlap as in the paper).</summary>
    public int BlockStride { get; init; } = 1;

    /// <summary>The number of orientation bins (at least 1).</summary>
    public int Orientations { get; init; } = 9;

    /// <summary>
    /// Signed gradients: bins over 0-360 degrees, so that a dark-to-light edge differs from a light-to-dark one. Off by
    /// default: unsigned gradients over 0-180 degrees, which Dalal and Triggs found better and scikit-image always uses.
    /// </summary>
    public bool Signed { get; init; }

    /// <summary>
    /// Split each pixel's vote linearly between the two bins whose centres surround its orientation (Dalal and Triggs),
    /// instead of giving it all to the bin that holds it (scikit-image, the default).
    /// </summary>
    public bool InterpolateBins { get; init; }

    /// <summary>The block normalisation.</summary>
    public HogBlockNorm BlockNorm { get; init; } = HogBlockNorm.L2Hys;

    /// <summary>The largest value after L2-Hys's first normalisation (0.2 in the paper and in scikit-image); in (0, 1].</summary>
    public double Clip { get; init; } = 0.2;

    /// <summary>Take the square root of every pixel first (power-law compression, scikit-image's <c>transform_sqrt</c>); the pixels must then be non-negative.</summary>
    public bool TransformSqrt { get; init; }

    /// <summary>The ε of the normalisations (1e-5, scikit-image's).</summary>
    public const double Epsilon = 1e-5;

    /// <summary>The number of values one block contributes: BlockSize² x Orientations.</summary>
    public int BlockLength => BlockSize * BlockSize * Orientations;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting out of its range.</summary>
    public void Validate()
    {
        if (CellSize < 1) throw new ArgumentOutOfRangeException(nameof(CellSize), CellSize, $"HogOptions: CellSize must be at least 1 pixel (got {CellSize}).");
        if (BlockSize < 1) throw new ArgumentOutOfRangeException(nameof(BlockSize), BlockSize, $"HogOptions: BlockSize must be at least 1 cell (got {BlockSize}).");
        if (BlockStride < 1) throw new ArgumentOutOfRangeException(nameof(BlockStride), BlockStride, $"HogOptions: BlockStride must be at least 1 cell (got {BlockStride}).");
        if (Orientations < 1 || Orientations > 360)
            throw new ArgumentOutOfRangeException(nameof(Orientations), Orientations, $"HogOptions: Orientations must be between 1 and 360 (got {Orientations}).");
        if (!Enum.IsDefined(BlockNorm)) throw new ArgumentOutOfRangeException(nameof(BlockNorm), BlockNorm, $"HogOptions: unknown block normalisation {BlockNorm}.");
        if (!(Clip > 0 && Clip <= 1))
            throw new ArgumentOutOfRangeException(nameof(Clip), Clip, $"HogOptions: Clip must be in (0, 1] (got {Clip.ToString(CultureInfo.InvariantCulture)}).");
    }

    /// <summary>The cells along each axis of a <paramref name="height"/> x <paramref name="width"/> image (whole cells only).</summary>
    public (int Rows, int Columns) Cells(int height, int width) => (height / CellSize, width / CellSize);

    /// <summary>The blocks along each axis of a <paramref name="height"/> x <paramref name="width"/> image; throws when it is smaller than one block.</summary>
    /// <exception cref="ArgumentException">The image is smaller than one block.</exception>
    public (int Rows, int Columns) Blocks(int height, int width)
    {
        Validate();
        int side = CellSize * BlockSize;
        if (height < side || width < side)
            throw new ArgumentException($"Hog: a {height}x{width} image is smaller than one block ({BlockSize}x{BlockSize} cells of {CellSize}x{CellSize} pixels = {side}x{side} pixels); use smaller cells or blocks.");
        var (cr, cc) = Cells(height, width);
        return ((cr - BlockSize) / BlockStride + 1, (cc - BlockSize) / BlockStride + 1);
    }

    /// <summary>The length of the descriptor of a <paramref name="height"/> x <paramref name="width"/> image: blocks x <see cref="BlockLength"/>.</summary>
    public int FeatureLength(int height, int width)
    {
        var (r, c) = Blocks(height, width);
        return checked(r * c * BlockLength);
    }

    /// <summary>Like scikit-image's call: "cells 8x8 px, blocks 2x2 cells (stride 1), 9 orientations over 0-180°, L2-Hys (clip 0.2)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"cells {CellSize}x{CellSize} px, blocks {BlockSize}x{BlockSize} cells (stride {BlockStride}), {Orientations} orientations over 0-{(Signed ? 360 : 180)}°, " +
        $"{(BlockNorm == HogBlockNorm.L2Hys ? $"L2-Hys (clip {Clip})" : BlockNorm == HogBlockNorm.L1Sqrt ? "L1-sqrt" : BlockNorm.ToString())}{(InterpolateBins ? ", votes split between bins" : "")}{(TransformSqrt ? ", sqrt of the pixels" : "")}");
}
