<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1">
<context>
    <name>ScenePickerDock</name>
    <message>
        <location filename="../ui/dock.py" line="16" />
        <source>Scene Picker</source>
        <translation>Scene Picker</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="21" />
        <source>Draw an area of interest, then search.</source>
        <translation>Dessinez une zone d'intérêt, puis lancez la recherche.</translation>
    </message>
</context>
<context>
    <name>ScenePickerPlugin</name>
    <message>
        <location filename="../plugin.py" line="43" />
        <source>Scene Picker</source>
        <translation>Scene Picker</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="50" />
        <source>Show or hide the Scene Picker panel</source>
        <translation>Afficher ou masquer le panneau Scene Picker</translation>
    </message>
</context>
</TS>