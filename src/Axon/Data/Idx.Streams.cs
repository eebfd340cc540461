namespace Axon.Data;

// The streams under Idx.Read: the two sniffed bytes put back in front (gzip detection), and a reader that names
// decompression failures.
public static partial class Idx
{
    /// <summary>Reads from the (possibly decompressing) stream, turning decompression failures into named errors.</summary>
    private sealed class Reader(Stream stream, string name, bool gzip)
    {
        private long position;

        public bool Gzip => gzip;

        /// <summary>Bytes left in a raw seekable stream, when known.</summary>
        public long? RemainingHint
        {
            get
            {
                if (gzip || stream is not PrefixedStream p) return null;
                return p.RemainingIfKnown;
            }
        }

        /// <summary>Fills as much of <paramref name="buffer"/> as the data allows; fewer bytes only at the end.</summary>
        public int Read(Span<byte> buffer)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n;
                try { n = stream.Read(buffer[total..]); }
                catch (InvalidDataException e) { throw Error(name, $"corrupt gzip data after {position + total} decompressed bytes ({e.Message.TrimEnd('.')})", e); }
                catch (EndOfStreamException e) { throw Error(name, $"corrupt gzip data: the compressed stream ends early after {position + total} decompressed bytes", e); }
                if (n == 0) break;
                total += n;
            }
            position += total;
            return total;
        }

        /// <summary>Reads to the end, counting the bytes (stops counting at <paramref name="cap"/>).</summary>
        public long CountRemaining(long cap, out bool more)
        {
            var buffer = new byte[1 << 16];
            long count = 0;
            more = false;
            while (true)
            {
                int n = Read(buffer);
                if (n == 0) return count;
                count += n;
                if (count > cap) { more = true; return count; }
            }
        }
    }

    /// <summary>A stream that first returns a few bytes already read, then the rest of another stream.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private int at;

        public long? RemainingIfKnown
        {
            get
            {
                if (!inner.CanSeek) return null;
                try { return prefix.Length - at + Math.Max(0, inner.Length - inner.Position); }
                catch (NotSupportedException) { return null; }
            }
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (at < prefix.Length)
            {
                int n = Math.Min(buffer.Length, prefix.Length - at);
                prefix.AsSpan(at, n).CopyTo(buffer);
                at += n;
                return n;
            }
            return inner.Read(buffer);
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
