using System.Text;

namespace Axon.TensorBoard.Tests;

public class Crc32CTests
{
    /// <summary>RFC 3720 (iSCSI), appendix B.4: CRC-32C of 32-byte patterns; and the usual check value of "123456789".</summary>
    [Fact]
    public void MatchesThePublishedVectors()
    {
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray()));
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, Crc32C.Compute([]));
    }

    [Fact]
    public void MaskingRotatesAndOffsetsAndIsUndone()
    {
        // Rotate 0x8A9136AA right by 15 bits (0x6D551522), then add 0xA282EAD8.
        Assert.Equal(0x0FD7FFFAu, Crc32C.Mask(0x8A9136AAu));
        foreach (uint crc in new uint[] { 0, 1, 0x8A9136AA, 0xFFFFFFFF, 0xA282EAD8 })
            Assert.Equal(crc, Crc32C.Unmask(Crc32C.Mask(crc)));
    }
}
