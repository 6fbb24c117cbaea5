"""All Qt/QGIS user-interface code of Scene Picker (dock, map tools, layers, tasks)."""
