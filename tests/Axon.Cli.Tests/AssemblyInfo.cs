// The commands share process-wide state: Spectre.Console allows one live progress display at a time, and
// --threads sets KernelThreads.Count. Their tests therefore run one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
