// Package checkpoints saves and restores training runs so that a resumed
// run reproduces the uninterrupted one.
//
// A run folder holds checkpoints/step-NNNNNN/ folders and a file named
// latest with the name of the newest complete one. A checkpoint is
// written into a temporary sibling folder, every file is fsynced, the
// folder is renamed into place and only then is latest replaced (itself
// through a temporary file and a rename). A crash or Ctrl-C at any point
// leaves either the old or the new checkpoint, never a half-written one
// under a real name.
//
// trainer_state.json records the sha256 of every other file of its
// checkpoint. Open verifies them; when the newest checkpoint is
// truncated or corrupted it says so and falls back to the previous good
// one.
//
// Errors name the file or folder involved and start with "checkpoints:".
package checkpoints
