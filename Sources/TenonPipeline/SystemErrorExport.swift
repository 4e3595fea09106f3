// Errors above the Dovetail façade carry ``TenonSystem/SystemError``; importing the
// pipeline brings it along.
@_exported import TenonSystem
