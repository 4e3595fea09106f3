// ``SystemCallError`` carries a ``TenonSystem/SystemError``; importing the control
// module brings it along.
@_exported import TenonSystem
