package sqlite

// SetRestartFrames sets the WAL length past which the committer checkpoints
// between batches, and returns what restores it.
func SetRestartFrames(n int64) (restore func()) {
	saved := restartFrames
	restartFrames = n
	return func() { restartFrames = saved }
}
