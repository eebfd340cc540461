// The export tests share the 2-core CI machine with the other test assemblies; ONNX Runtime sessions already use their
// own threads, so the tests of this assembly run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
