<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1">
<context>
    <name>AoiTools</name>
    <message>
        <location filename="../ui/aoi_tools.py" line="37" />
        <source>The area of interest is empty.</source>
        <translation>La zone d'intérêt est vide.</translation>
    </message>
    <message>
        <location filename="../ui/aoi_tools.py" line="39" />
        <source>The area of interest has no valid coordinate reference system.</source>
        <translation>La zone d'intérêt n'a pas de système de coordonnées de référence valide.</translation>
    </message>
    <message>
        <location filename="../ui/aoi_tools.py" line="50" />
        <source>The area of interest cannot be transformed to EPSG:4326: {}</source>
        <translation>La zone d'intérêt ne peut pas être transformée en EPSG:4326 : {}</translation>
    </message>
    <message>
        <location filename="../ui/aoi_tools.py" line="58" />
        <source>The area of interest is empty after transformation.</source>
        <translation>La zone d'intérêt est vide après la transformation.</translation>
    </message>
    <message>
        <location filename="../ui/aoi_tools.py" line="254" />
        <source>Choose a valid layer to take its extent.</source>
        <translation>Choisissez une couche valide pour utiliser son emprise.</translation>
    </message>
    <message>
        <location filename="../ui/aoi_tools.py" line="261" />
        <source>Select one or more features of a vector layer first.</source>
        <translation>Sélectionnez d'abord une ou plusieurs entités d'une couche vecteur.</translation>
    </message>
    <message>
        <location filename="../ui/aoi_tools.py" line="267" />
        <source>The selected features have no geometry.</source>
        <translation>Les entités sélectionnées n'ont pas de géométrie.</translation>
    </message>
</context>
<context>
    <name>DownloadManager</name>
    <message>
        <location filename="../ui/download_task.py" line="190" />
        <source>Scene Picker: queue {}</source>
        <translation>Scene Picker : mise en file d'attente de {}</translation>
    </message>
    <message>
        <location filename="../ui/download_task.py" line="199" />
        <source>Scene Picker: cancel a download</source>
        <translation>Scene Picker : annulation d'un téléchargement</translation>
    </message>
    <message>
        <location filename="../ui/download_task.py" line="210" />
        <source>Scene Picker: retry a download</source>
        <translation>Scene Picker : nouvelle tentative de téléchargement</translation>
    </message>
</context>
<context>
    <name>DownloadScenesAlgorithm</name>
    <message>
        <location filename="../ui/processing_download.py" line="66" />
        <source>Download scenes</source>
        <translation>Télécharger des scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="69" />
        <source>Downloads the scenes of a footprint layer made by 'Search scenes' (or only its selected features) into a folder, one sub-folder per scene. Assets are chosen by key or pattern (e.g. 'B04,B08' or 'role:data'); zip member patterns (e.g. '*_B04_*.tif') extract only those files from remote zip archives. Downloads resume and files already verified are skipped.</source>
        <translation>Télécharge dans un dossier les scènes d'une couche d'emprises produite par « Rechercher des scènes » (ou seulement ses entités sélectionnées), avec un sous-dossier par scène. Les ressources sont choisies par clé ou par motif (p. ex. 'B04,B08' ou 'role:data') ; des motifs de fichiers zip (p. ex. '*_B04_*.tif') n'extraient que ces fichiers des archives zip distantes. Les téléchargements interrompus reprennent et les fichiers déjà vérifiés sont ignorés.</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="80" />
        <source>Scene footprints</source>
        <translation>Emprises des scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="85" />
        <source>Assets (keys or patterns, comma separated; empty: data assets)</source>
        <translation>Ressources (clés ou motifs, séparés par des virgules ; vide : ressources de données)</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="92" />
        <source>Zip members to extract (patterns, comma separated; empty: whole files)</source>
        <translation>Fichiers du zip à extraire (motifs, séparés par des virgules ; vide : fichiers entiers)</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="99" />
        <source>Catalog URL (instead of the one the layer records)</source>
        <translation>URL du catalogue (à la place de celle que la couche enregistre)</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="104" />
        <source>Overwrite existing files</source>
        <translation>Écraser les fichiers existants</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="107" />
        <source>Load downloaded rasters as layers</source>
        <translation>Charger les rasters téléchargés comme couches</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="112" />
        <source>Download folder</source>
        <translation>Dossier de téléchargement</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="115" />
        <source>Downloaded files table</source>
        <translation>Table des fichiers téléchargés</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="124" />
        <source>Downloaded files</source>
        <translation>Fichiers téléchargés</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="125" />
        <source>Bytes fetched</source>
        <translation>Octets récupérés</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="126" />
        <source>Scenes that failed</source>
        <translation>Scènes en échec</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="127" />
        <source>Cancelled</source>
        <translation>Annulé</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="154" />
        <source>The footprint layer has no feature to download.</source>
        <translation>La couche d'emprises ne contient aucune entité à télécharger.</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="165" />
        <source>Scene {} of {}: {}</source>
        <translation>Scène {} sur {} : {}</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="186" />
        <source>{}: {}</source>
        <translation>{} : {}</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="197" />
        <source>{}: {} files, {} bytes fetched, {} already there.</source>
        <translation>{} : {} fichiers, {} octets récupérés, {} déjà présents.</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="204" />
        <source>Download cancelled; {} files were complete.</source>
        <translation>Téléchargement annulé ; {} fichiers étaient complets.</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="206" />
        <source>Every scene failed to download (see the log).</source>
        <translation>Le téléchargement a échoué pour toutes les scènes (voir le journal).</translation>
    </message>
</context>
<context>
    <name>FootprintLayer</name>
    <message>
        <location filename="../ui/footprints.py" line="92" />
        <source>Scene footprints</source>
        <translation>Emprises des scènes</translation>
    </message>
</context>
<context>
    <name>JobTask</name>
    <message>
        <location filename="../ui/download_task.py" line="93" />
        <source>Scene Picker: download {}</source>
        <translation>Scene Picker : téléchargement de {}</translation>
    </message>
</context>
<context>
    <name>Layers</name>
    <message>
        <location filename="../ui/layers.py" line="47" />
        <source>{} is not a raster GDAL can open.</source>
        <translation>{} n'est pas un raster que GDAL peut ouvrir.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="67" />
        <source>Could not build the RGB composite: {}</source>
        <translation>Impossible de construire la composition RVB : {}</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="71" />
        <source>Could not build the RGB composite from the chosen bands.</source>
        <translation>Impossible de construire la composition RVB à partir des bandes choisies.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="82" />
        <source>Only http(s) URLs can be streamed: {}</source>
        <translation>Seules les URL http(s) peuvent être ouvertes à distance : {}</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="169" />
        <source>GDAL could not stream {}.</source>
        <translation>GDAL n'a pas pu ouvrir {} à distance.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="175" />
        <source>Scene Picker: open {}</source>
        <translation>Scene Picker : ouverture de {}</translation>
    </message>
</context>
<context>
    <name>MembersDialog</name>
    <message>
        <location filename="../ui/members_dialog.py" line="30" />
        <source>Members of {}</source>
        <translation>Contenu de {}</translation>
    </message>
    <message>
        <location filename="../ui/members_dialog.py" line="32" />
        <source>Check the files to extract (only their bytes are downloaded).</source>
        <translation>Cochez les fichiers à extraire (seuls leurs octets sont téléchargés).</translation>
    </message>
    <message>
        <location filename="../ui/members_dialog.py" line="36" />
        <source>Filter names…</source>
        <translation>Filtrer les noms…</translation>
    </message>
</context>
<context>
    <name>ProviderSetup</name>
    <message>
        <location filename="../ui/providers_info.py" line="147" />
        <source>{} Set it in Scene Picker ▸ Settings… ▸ Accounts ▸ Catalog URL.</source>
        <translation>{} Définissez-la dans Scene Picker ▸ Paramètres… ▸ Comptes ▸ URL du catalogue.</translation>
    </message>
</context>
<context>
    <name>QueryForm</name>
    <message>
        <location filename="../ui/query_form.py" line="89" />
        <source>Providers</source>
        <translation>Fournisseurs</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="114" />
        <source>all collections (comma separated ids)</source>
        <translation>toutes les collections (identifiants séparés par des virgules)</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="116" />
        <source>Collections</source>
        <translation>Collections</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="121" />
        <source>Platforms</source>
        <translation>Plateformes</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="134" />
        <source>From (UTC)</source>
        <translation>Du (UTC)</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="135" />
        <source>To (UTC)</source>
        <translation>Au (UTC)</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="148" />
        <source>Cloud cover</source>
        <translation>Couverture nuageuse</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="154" />
        <source>Max results</source>
        <translation>Résultats max.</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="157" />
        <source>Advanced</source>
        <translation>Avancé</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="162" />
        <source>Product type</source>
        <translation>Type de produit</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="165" />
        <source>key=value; key2=value2 (provider specific)</source>
        <translation>clé=valeur; clé2=valeur2 (propre au fournisseur)</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="166" />
        <source>Extras</source>
        <translation>Paramètres supplémentaires</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="231" />
        <source>credentials ok</source>
        <translation>identifiants OK</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="232" />
        <source>credentials missing</source>
        <translation>identifiants manquants</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="233" />
        <source>no keyring</source>
        <translation>pas de trousseau</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="240" />
        <source>no account needed</source>
        <translation>aucun compte nécessaire</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="295" />
        <source>Collections and platforms searched at {}:</source>
        <translation>Collections et plateformes recherchées chez {} :</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="301" />
        <source>any platform</source>
        <translation>toute plateforme</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="305" />
        <source>Collections searched at {}</source>
        <translation>Collections recherchées chez {}</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="341" />
        <source>The start date is after the end date.</source>
        <translation>La date de début est postérieure à la date de fin.</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="203" />
        <source>Scene Picker: read the keyring</source>
        <translation>Scene Picker : lecture du trousseau de clés</translation>
    </message>
</context>
<context>
    <name>QueuePanel</name>
    <message>
        <location filename="../ui/queue_panel.py" line="70" />
        <source>Scene</source>
        <translation>Scène</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="70" />
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="70" />
        <source>Progress</source>
        <translation>Progression</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="70" />
        <source>Speed</source>
        <translation>Vitesse</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="70" />
        <source>ETA</source>
        <translation>Temps restant</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="88" />
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="91" />
        <source>Retry</source>
        <translation>Réessayer</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="94" />
        <source>Open folder</source>
        <translation>Ouvrir le dossier</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="97" />
        <source>Add layers</source>
        <translation>Ajouter les couches</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="153" />
        <source>queued</source>
        <translation>en attente</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="154" />
        <source>downloading</source>
        <translation>téléchargement en cours</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="155" />
        <source>done</source>
        <translation>terminé</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="156" />
        <source>failed</source>
        <translation>échec</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="157" />
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="158" />
        <source>interrupted</source>
        <translation>interrompu</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="159" />
        <source>cancelling…</source>
        <translation>annulation…</translation>
    </message>
</context>
<context>
    <name>QuicklookCache</name>
    <message>
        <location filename="../ui/quicklook.py" line="110" />
        <source>Scene Picker: quicklook</source>
        <translation>Scene Picker : aperçu</translation>
    </message>
    <message>
        <location filename="../ui/quicklook.py" line="118" />
        <source>empty quicklook</source>
        <translation>aperçu vide</translation>
    </message>
    <message>
        <location filename="../ui/quicklook.py" line="122" />
        <source>The quicklook is not an image.</source>
        <translation>L'aperçu n'est pas une image.</translation>
    </message>
</context>
<context>
    <name>ResultsModel</name>
    <message>
        <location filename="../ui/results_model.py" line="49" />
        <source>Provider</source>
        <translation>Fournisseur</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="50" />
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="51" />
        <source>Date (UTC)</source>
        <translation>Date (UTC)</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="52" />
        <source>Cloud %</source>
        <translation>Nuages %</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="53" />
        <source>Platform</source>
        <translation>Plateforme</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="54" />
        <source>Collection</source>
        <translation>Collection</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="55" />
        <source>Availability</source>
        <translation>Disponibilité</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="164" />
        <source>downloaded</source>
        <translation>téléchargée</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="165" />
        <source>online</source>
        <translation>en ligne</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="165" />
        <source>offline</source>
        <translation>hors ligne</translation>
    </message>
</context>
<context>
    <name>SavedSearchControls</name>
    <message>
        <location filename="../ui/saved_search.py" line="88" />
        <source>from each scene's label, e.g. incidence_angle&lt;30</source>
        <translation>lue dans l'étiquette de chaque scène, p. ex. incidence_angle&lt;30</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="89" />
        <source>Keep the scenes whose metadata label (JSON, XML, PVL) holds a passing value: NAME OP VALUE or LOW&lt;=NAME&lt;HIGH, several separated by ';'. The values become columns of the table.</source>
        <translation>Garder les scènes dont l'étiquette de métadonnées (JSON, XML, PVL) contient une valeur qui passe : NAME OP VALUE ou LOW&lt;=NAME&lt;HIGH, plusieurs séparés par « ; ». Les valeurs deviennent des colonnes du tableau.</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="143" />
        <source>Side-car filter</source>
        <translation>Filtre sur l'étiquette</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="101" />
        <source>Saved search</source>
        <translation>Recherche enregistrée</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="104" />
        <source>Save search with these dates…</source>
        <translation>Enregistrer la recherche avec ces dates…</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="105" />
        <source>Save search as a rolling window (last N days)…</source>
        <translation>Enregistrer la recherche en fenêtre glissante (N derniers jours)…</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="108" />
        <source>Open search…</source>
        <translation>Ouvrir une recherche…</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="143" />
        <source>{} scenes left out: their label could not be read (details in the log).</source>
        <translation>{} scènes écartées : leur étiquette n'a pas pu être lue (détails dans le journal).</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="157" />
        <source>Check at least one provider.</source>
        <translation>Cochez au moins un fournisseur.</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="200" />
        <source>Scene Picker: save search</source>
        <translation>Scene Picker : enregistrer la recherche</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="283" />
        <source>Save search</source>
        <translation>Enregistrer la recherche</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="209" />
        <source>Saved to {}: run it with scene-picker sync {} --out DIR</source>
        <translation>Enregistrée dans {} : lancez-la avec scene-picker sync {} --out DOSSIER</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="216" />
        <source>Scene Picker: open search</source>
        <translation>Scene Picker : ouvrir une recherche</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="288" />
        <source>Open search</source>
        <translation>Ouvrir une recherche</translation>
    </message>
    <message>
        <location filename="../ui/saved_search.py" line="288" />
        <source>Plans (*.toml);;JSON (*.json)</source>
        <translation>Plans (*.toml);;JSON (*.json)</translation>
    </message>
</context>
<context>
    <name>ScenePickerDock</name>
    <message>
        <location filename="../ui/dock.py" line="78" />
        <source>Scene Picker</source>
        <translation>Scene Picker</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="397" />
        <source>Area of interest</source>
        <translation>Zone d'intérêt</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="489" />
        <source>Search</source>
        <translation>Rechercher</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="118" />
        <source>Results</source>
        <translation>Résultats</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="119" />
        <source>Downloads</source>
        <translation>Téléchargements</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="143" />
        <source>Rectangle</source>
        <translation>Rectangle</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="143" />
        <source>Polygon</source>
        <translation>Polygone</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="143" />
        <source>Map extent</source>
        <translation>Emprise du canevas</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="143" />
        <source>Edit vertices (right-click to finish)</source>
        <translation>Modifier les sommets (clic droit pour terminer)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="143" />
        <source>Clear</source>
        <translation>Effacer</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="186" />
        <source>Layer extent</source>
        <translation>Emprise de la couche</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="189" />
        <source>Selected features</source>
        <translation>Entités sélectionnées</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="209" />
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="213" />
        <source>Settings…</source>
        <translation>Paramètres…</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="238" />
        <source>Filter id, platform, collection…</source>
        <translation>Filtrer par identifiant, plateforme, collection…</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="247" />
        <source>All providers</source>
        <translation>Tous les fournisseurs</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="257" />
        <source>cloud ≤ </source>
        <translation>nuages ≤ </translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="262" />
        <source>Online only</source>
        <translation>En ligne uniquement</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="264" />
        <source>Labels</source>
        <translation>Étiquettes</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="591" />
        <source>No scene selected</source>
        <translation>Aucune scène sélectionnée</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="316" />
        <source>Assets to download</source>
        <translation>Ressources à télécharger</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="322" />
        <source>zip members, e.g. */IMG_DATA/*B04.jp2 (optional)</source>
        <translation>fichiers du zip, p. ex. */IMG_DATA/*B04.jp2 (facultatif)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="325" />
        <source>Members…</source>
        <translation>Contenu…</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="327" />
        <source>List the files inside the checked zip asset</source>
        <translation>Lister les fichiers contenus dans la ressource zip cochée</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="697" />
        <source>Download</source>
        <translation>Télécharger</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="772" />
        <source>Stream</source>
        <translation>Ouvrir à distance</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="336" />
        <source>Open the checked band without downloading it (/vsicurl/)</source>
        <translation>Ouvrir la bande cochée sans la télécharger (/vsicurl/)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="338" />
        <source>RGB</source>
        <translation>RVB</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="340" />
        <source>Build an RGB composite (VRT) from three checked bands, in order</source>
        <translation>Construire une composition RVB (VRT) à partir de trois bandes cochées, dans l'ordre</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="354" />
        <source>Export…</source>
        <translation>Exporter…</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="356" />
        <source>Save the shown scenes as GeoJSON or CSV</source>
        <translation>Enregistrer les scènes affichées en GeoJSON ou CSV</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="412" />
        <source>No area: the search covers the whole world.</source>
        <translation>Aucune zone : la recherche couvre le monde entier.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="415" />
        <source>W {:.4f}  S {:.4f}  E {:.4f}  N {:.4f} (EPSG:4326)</source>
        <translation>O {:.4f}  S {:.4f}  E {:.4f}  N {:.4f} (EPSG:4326)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="427" />
        <source>Check at least one provider.</source>
        <translation>Cochez au moins un fournisseur.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="455" />
        <source>Searching {}…</source>
        <translation>Recherche dans {}…</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="473" />
        <source>{}: {} scenes</source>
        <translation>{} : {} scènes</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="475" />
        <source> of {} matching</source>
        <translation> sur {} correspondantes</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="485" />
        <source>{} scenes found.</source>
        <translation>{} scènes trouvées.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="487" />
        <source>Search stopped: {} ({} scenes).</source>
        <translation>Recherche interrompue : {} ({} scènes).</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="495" />
        <source>{} scenes ({} shown)</source>
        <translation>{} scènes ({} affichées)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="507" />
        <source>Export scenes</source>
        <translation>Exporter les scènes</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="507" />
        <source>GeoJSON (*.geojson);;CSV (*.csv)</source>
        <translation>GeoJSON (*.geojson);;CSV (*.csv)</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="536" />
        <source>Export</source>
        <translation>Exporter</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="519" />
        <source>No scene to export.</source>
        <translation>Aucune scène à exporter.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="527" />
        <source>Scene Picker: export {}</source>
        <translation>Scene Picker : export de {}</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="536" />
        <source>{} scenes written to {}.</source>
        <translation>{} scènes écrites dans {}.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="602" />
        <source>Loading quicklook…</source>
        <translation>Chargement de l'aperçu…</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="620" />
        <source>No quicklook</source>
        <translation>Pas d'aperçu</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="621" />
        <source>Quicklook of {}: {}</source>
        <translation>Aperçu de {} : {}</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="652" />
        <source>Select one or more scenes first.</source>
        <translation>Sélectionnez d'abord une ou plusieurs scènes.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="656" />
        <source>Check the assets to download.</source>
        <translation>Cochez les ressources à télécharger.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="667" />
        <source>{} download(s) queued.</source>
        <translation>{} téléchargement(s) mis en file d'attente.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="697" />
        <source>{} downloaded, {} layer(s) added.</source>
        <translation>Scène {} téléchargée, {} couche(s) ajoutée(s).</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="733" />
        <source>Zip members</source>
        <translation>Contenu du zip</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="714" />
        <source>Check a zip asset of the scene first.</source>
        <translation>Cochez d'abord une ressource zip de la scène.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="726" />
        <source>Scene Picker: list {}</source>
        <translation>Scene Picker : contenu de {}</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="749" />
        <source>Select a scene and check a band.</source>
        <translation>Sélectionnez une scène et cochez une bande.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="815" />
        <source>RGB composite</source>
        <translation>Composition RVB</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="782" />
        <source>Check exactly three bands (red, green, blue).</source>
        <translation>Cochez exactement trois bandes (rouge, vert, bleu).</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="791" />
        <source>{} RGB</source>
        <translation>{} RVB</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="804" />
        <source>The RGB composite {} cannot be opened.</source>
        <translation>La composition RVB {} ne peut pas être ouverte.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="808" />
        <source>Scene Picker: RGB composite of {}</source>
        <translation>Scene Picker : composition RVB de {}</translation>
    </message>
</context>
<context>
    <name>ScenePickerPlugin</name>
    <message>
        <location filename="../plugin.py" line="53" />
        <source>Scene Picker</source>
        <translation>Scene Picker</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="60" />
        <source>Show or hide the Scene Picker panel</source>
        <translation>Afficher ou masquer le panneau Scene Picker</translation>
    </message>
</context>
<context>
    <name>ScenePickerProcessing</name>
    <message>
        <location filename="../ui/processing_provider.py" line="23" />
        <source>Scene Picker</source>
        <translation>Scene Picker</translation>
    </message>
    <message>
        <location filename="../ui/processing_provider.py" line="26" />
        <source>Scene Picker: search and download satellite scenes</source>
        <translation>Scene Picker : recherche et téléchargement de scènes satellites</translation>
    </message>
</context>
<context>
    <name>SearchScenesAlgorithm</name>
    <message>
        <location filename="../ui/processing_search.py" line="58" />
        <source>Search scenes</source>
        <translation>Rechercher des scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="61" />
        <source>Searches one satellite catalog for scenes over an area of interest (an extent, the features of a layer, or both combined), between two dates (the end date is included as a whole day), under a cloud cover. The result is a footprint layer with one feature per scene; its selection can be given to 'Download scenes'. STAC catalogs need their URL.</source>
        <translation>Recherche dans un catalogue satellite les scènes qui couvrent une zone d'intérêt (une emprise, les entités d'une couche, ou les deux combinées), entre deux dates (la date de fin est incluse sur toute la journée), sous un seuil de couverture nuageuse. Le résultat est une couche d'emprises avec une entité par scène ; sa sélection peut être transmise à « Télécharger des scènes ». Les catalogues STAC nécessitent leur URL.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="72" />
        <source>Area of interest (extent)</source>
        <translation>Zone d'intérêt (emprise)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="75" />
        <source>Area of interest (layer)</source>
        <translation>Zone d'intérêt (couche)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="85" />
        <source>Provider</source>
        <translation>Fournisseur</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="90" />
        <source>Catalog URL (STAC API or static catalog)</source>
        <translation>URL du catalogue (API STAC ou catalogue statique)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="95" />
        <source>Start date</source>
        <translation>Date de début</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="95" />
        <source>End date (included)</source>
        <translation>Date de fin (incluse)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="101" />
        <source>Minimum cloud cover (%)</source>
        <translation>Couverture nuageuse minimale (%)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="101" />
        <source>Maximum cloud cover (%)</source>
        <translation>Couverture nuageuse maximale (%)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="115" />
        <source>Platforms (comma separated)</source>
        <translation>Plateformes (séparées par des virgules)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="120" />
        <source>Collections (comma separated)</source>
        <translation>Collections (séparées par des virgules)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="125" />
        <source>Maximum number of scenes</source>
        <translation>Nombre maximal de scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="130" />
        <source>Scene footprints</source>
        <translation>Emprises des scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="135" />
        <source>Number of scenes found</source>
        <translation>Nombre de scènes trouvées</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="156" />
        <source>The area-of-interest layer has no geometry to search with.</source>
        <translation>La couche de zone d'intérêt ne contient aucune géométrie pour la recherche.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="197" />
        <source>Searching {}…</source>
        <translation>Recherche dans {}…</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="203" />
        <source>{} scenes match on the server.</source>
        <translation>{} scènes correspondent sur le serveur.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="214" />
        <source>{}: {}</source>
        <translation>{} : {}</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="216" />
        <source>Search cancelled after {} scenes.</source>
        <translation>Recherche annulée après {} scènes.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="218" />
        <source>{} scenes found.</source>
        <translation>{} scènes trouvées.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="226" />
        <source>Invalid date for {}.</source>
        <translation>Date non valide pour {}.</translation>
    </message>
</context>
<context>
    <name>SearchTask</name>
    <message>
        <location filename="../ui/search_task.py" line="69" />
        <source>Scene Picker: search</source>
        <translation>Scene Picker : recherche</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../ui/settings_dialog.py" line="51" />
        <source>credentials stored</source>
        <translation>identifiants enregistrés</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="52" />
        <source>credentials missing</source>
        <translation>identifiants manquants</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="53" />
        <source>no account needed</source>
        <translation>aucun compte nécessaire</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="54" />
        <source>no keyring available</source>
        <translation>aucun trousseau de clés disponible</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="64" />
        <source>Scene Picker settings</source>
        <translation>Paramètres de Scene Picker</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="70" />
        <source>Accounts</source>
        <translation>Comptes</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="71" />
        <source>Downloads</source>
        <translation>Téléchargements</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="72" />
        <source>Network</source>
        <translation>Réseau</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="96" />
        <source>Provider</source>
        <translation>Fournisseur</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="99" />
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="102" />
        <source>User name</source>
        <translation>Nom d'utilisateur</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="105" />
        <source>password, token or API key</source>
        <translation>mot de passe, jeton ou clé d'API</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="106" />
        <source>Secret</source>
        <translation>Secret</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="108" />
        <source>Save to keyring</source>
        <translation>Enregistrer dans le trousseau</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="111" />
        <source>Forget</source>
        <translation>Oublier</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="114" />
        <source>Test login</source>
        <translation>Tester la connexion</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="126" />
        <source>default endpoint</source>
        <translation>point d'accès par défaut</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="128" />
        <source>Catalog URL</source>
        <translation>URL du catalogue</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="131" />
        <source>other options: key=value; key2=value2 (no secrets)</source>
        <translation>autres options : clé=valeur; clé2=valeur2 (aucun secret)</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="133" />
        <source>Options</source>
        <translation>Options</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="146" />
        <source>Output folder</source>
        <translation>Dossier de sortie</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="148" />
        <source>Parallel downloads</source>
        <translation>Téléchargements simultanés</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="150" />
        <source>Per provider at most</source>
        <translation>Au plus par fournisseur</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="157" />
        <source>Requests per 10 s</source>
        <translation>Requêtes par 10 s</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="159" />
        <source>Requests per minute</source>
        <translation>Requêtes par minute</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="161" />
        <source>Proxy from QGIS settings: {}</source>
        <translation>Proxy des paramètres de QGIS : {}</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="161" />
        <source>No proxy (QGIS settings)</source>
        <translation>Aucun proxy (paramètres de QGIS)</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="213" />
        <source>no provider registered</source>
        <translation>aucun fournisseur enregistré</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="229" />
        <source>Get an account: &lt;a href="{0}"&gt;{0}&lt;/a&gt;</source>
        <translation>Créer un compte : &lt;a href="{0}"&gt;{0}&lt;/a&gt;</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="244" />
        <source>Put credentials in the account fields, not in the URL.</source>
        <translation>Saisissez les identifiants dans les champs du compte, pas dans l'URL.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="262" />
        <source>Enter the secret to store.</source>
        <translation>Saisissez le secret à enregistrer.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="271" />
        <source>Stored in the system keyring.</source>
        <translation>Enregistré dans le trousseau de clés du système.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="296" />
        <source>Scene Picker: test login to {}</source>
        <translation>Scene Picker : test de connexion à {}</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="301" />
        <source>Testing…</source>
        <translation>Test en cours…</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="309" />
        <source>Login succeeded.</source>
        <translation>Connexion réussie.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="311" />
        <source>Login failed: {}</source>
        <translation>Échec de la connexion : {}</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="313" />
        <source>Login failed (see the message log).</source>
        <translation>Échec de la connexion (voir le journal des messages).</translation>
    </message>
</context>
</TS>