using System.Globalization;

namespace Axon;

/// <summary>
/// A (height, width) pair for 2-D kernel sizes, strides, paddings and dilations, as PyTorch's int-or-tuple
/// arguments: an <see cref="int"/> converts to a square pair and <c>(h, w)</c> to a pair. It remembers which form
/// it was given so that module reprs print it back as PyTorch does (<c>3</c> or <c>(3, 2)</c>).
/// </summary>
public readonly struct Size2 : IEquatable<Size2>
{
    /// <summary>A square pair (v, v).</summary>
    public Size2(int value) { H = value; W = value; IsScalar = true; }

    /// <summary>A pair (h, w).</summary>
    public Size2(int h, int w) { H = h; W = w; IsScalar = false; }

    /// <summary>The height (first) component.</summary>
    public int H { get; }

    /// <summary>The width (second) component.</summary>
    public int W { get; }

    /// <summary>True when created from a single int.</summary>
    public bool IsScalar { get; }

    /// <summary>A square pair from one int.</summary>
    public static implicit operator Size2(int value) => new(value);

    /// <summary>A pair from a tuple (h, w).</summary>
    public static implicit operator Size2((int H, int W) value) => new(value.H, value.W);

    /// <summary>Deconstructs into (h, w).</summary>
    public void Deconstruct(out int h, out int w) { h = H; w = W; }

    /// <summary>As given: "3" for a single int, "(3, 2)" for a pair.</summary>
    public override string ToString() => IsScalar ? H.ToString(CultureInfo.InvariantCulture) : ToPairString();

    /// <summary>Always as a pair, "(3, 3)" (what PyTorch's convolution reprs show).</summary>
    public string ToPairString() => string.Create(CultureInfo.InvariantCulture, $"({H}, {W})");

    /// <inheritdoc/>
    public bool Equals(Size2 other) => H == other.H && W == other.W;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Size2 s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(H, W);

    /// <summary>Component-wise equality (the form, int or pair, does not matter).</summary>
    public static bool operator ==(Size2 left, Size2 right) => left.Equals(right);

    /// <summary>Component-wise inequality.</summary>
    public static bool operator !=(Size2 left, Size2 right) => !left.Equals(right);
}
