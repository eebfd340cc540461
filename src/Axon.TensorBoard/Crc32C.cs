using System.Numerics;

namespace Axon.TensorBoard;

/// <summary>
/// CRC-32C (Castagnoli, the iSCSI checksum of RFC 3720) and the masked form that TensorBoard's record files store, so that
/// a CRC of data that itself holds CRCs does not look like a plain one. The polynomial steps come from
/// <see cref="BitOperations.Crc32C(uint, byte)"/>, which uses the processor's CRC instruction where there is one.
/// </summary>
public static class Crc32C
{
    private const uint MaskDelta = 0xa282ead8;

    /// <summary>The CRC-32C of <paramref name="data"/> (e.g. 32 zero bytes give 0x8A9136AA).</summary>
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8) crc = BitOperations.Crc32C(crc, BitConverter.ToUInt64(data.Slice(i, 8)));
        for (; i < data.Length; i++) crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }

    /// <summary>The masked CRC a record stores: the CRC rotated right by 15 bits plus a constant.</summary>
    public static uint Mask(uint crc) => unchecked(((crc >> 15) | (crc << 17)) + MaskDelta);

    /// <summary>The CRC that <see cref="Mask"/> masked.</summary>
    public static uint Unmask(uint masked)
    {
        uint rotated = unchecked(masked - MaskDelta);
        return (rotated >> 17) | (rotated << 15);
    }

    /// <summary>The masked CRC-32C of <paramref name="data"/>.</summary>
    public static uint Masked(ReadOnlySpan<byte> data) => Mask(Compute(data));
}
