package audit

// SetVerifyBatch makes Verify read n records per query, so tests cross
// batch boundaries with few records.
func SetVerifyBatch(l *Log, n int) { l.batchSize = n }
