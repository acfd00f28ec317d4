// notifications offers no service to other plugins, on purpose: a plugin that wants its
// facts to notify people declares eventTypes and emits; this plugin subscribes to '*'.
// With it disabled nothing else changes. What it reads of a payload: `userId` (a UUID)
// for the 'subject' audience; everything else comes from the type's describe().
export const NOTIFICATIONS_PLUGIN = 'notifications'
