/** Distributing shares from a CSV file or one row at a time: the service behind distribute-*. */
export { readDistributionCsv, type DistributionInputRow } from "./csv";
export { DISTRIBUTION_COLUMNS, DistributionRejected, formatProblem, type DistributionOrigin, type RowProblem } from "./problems";
export { DISTRIBUTION_BATCH_SIZES, prepareDistribution, type DistributionRequest, type DistributionResult } from "./service";
export { validateRows, type ValidRow } from "./validate";
