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
    <name>CatalogUrlRow</name>
    <message>
        <location filename="../ui/catalog_url.py" line="57" />
        <source>Catalog URL</source>
        <translation>URL du catalogue</translation>
    </message>
    <message>
        <location filename="../ui/catalog_url.py" line="64" />
        <source>https://… (the catalog's root)</source>
        <translation>https://… (la racine du catalogue)</translation>
    </message>
    <message>
        <location filename="../ui/catalog_url.py" line="68" />
        <source>Bearer token</source>
        <translation>Jeton (Bearer)</translation>
    </message>
    <message>
        <location filename="../ui/catalog_url.py" line="77" />
        <source>Forget</source>
        <translation>Oublier</translation>
    </message>
    <message>
        <location filename="../ui/catalog_url.py" line="78" />
        <source>Remove the stored token</source>
        <translation>Supprimer le jeton enregistré</translation>
    </message>
    <message>
        <location filename="../ui/catalog_url.py" line="175" />
        <source>optional</source>
        <translation>facultatif</translation>
    </message>
    <message>
        <location filename="../ui/catalog_url.py" line="136" />
        <source>Put credentials in the token field, not in the catalog URL.</source>
        <translation>Mettez les identifiants dans le champ du jeton, pas dans l'URL du catalogue.</translation>
    </message>
    <message>
        <location filename="../ui/catalog_url.py" line="161" />
        <source>not stored: no credential store</source>
        <translation>non enregistré : aucun magasin d'identifiants</translation>
    </message>
    <message>
        <location filename="../ui/catalog_url.py" line="164" />
        <source>token stored (type to replace)</source>
        <translation>jeton enregistré (saisir pour le remplacer)</translation>
    </message>
</context>
<context>
    <name>Dependencies</name>
    <message>
        <location filename="../ui/dependencies.py" line="53" />
        <source>in a terminal: sudo apt install {}</source>
        <translation>dans un terminal : sudo apt install {}</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="57" />
        <source>in the OSGeo4W Shell: python -m pip install {}</source>
        <translation>dans l'OSGeo4W Shell : python -m pip install {}</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="61" />
        <source>in a terminal: {} -m pip install {}</source>
        <translation>dans un terminal : {} -m pip install {}</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="64" />
        <source>with the Python of QGIS: python3 -m pip install --user {}</source>
        <translation>avec le Python de QGIS : python3 -m pip install --user {}</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="72" />
        <source>searching and downloading are off</source>
        <translation>la recherche et le téléchargement sont désactivés</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="73" />
        <source>areas of interest in another CRS than EPSG:4326 are refused</source>
        <translation>les zones d'intérêt dans un autre SCR qu'EPSG:4326 sont refusées</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="76" />
        <source>accounts can only be kept in the QGIS authentication database (Settings)</source>
        <translation>les comptes ne peuvent être conservés que dans la base d'authentification de QGIS (Paramètres)</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="80" />
        <source>Missing Python package(s): {}.</source>
        <translation>Paquet(s) Python manquant(s) : {}.</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="80" />
        <source>Install them {}, then restart QGIS.</source>
        <translation>Installez-les {}, puis redémarrez QGIS.</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="80" />
        <source>Until then {}.</source>
        <translation>D'ici là, {}.</translation>
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
        <location filename="../ui/download_task.py" line="436" />
        <source>Scene Picker: cancel a download</source>
        <translation>Scene Picker : annulation d'un téléchargement</translation>
    </message>
    <message>
        <location filename="../ui/download_task.py" line="210" />
        <source>Scene Picker: retry a download</source>
        <translation>Scene Picker : nouvelle tentative de téléchargement</translation>
    </message>
    <message>
        <location filename="../ui/download_task.py" line="251" />
        <source>Scene Picker: clear finished downloads</source>
        <translation>Scene Picker : effacer les téléchargements terminés</translation>
    </message>
</context>
<context>
    <name>DownloadScenesAlgorithm</name>
    <message>
        <location filename="../ui/processing_download.py" line="77" />
        <source>Download scenes</source>
        <translation>Télécharger des scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="90" />
        <source>Scene footprints</source>
        <translation>Emprises des scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="95" />
        <source>Assets (keys or patterns, comma separated; empty: data assets)</source>
        <translation>Ressources (clés ou motifs, séparés par des virgules ; vide : ressources de données)</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="102" />
        <source>Zip members to extract (patterns, comma separated; empty: whole files)</source>
        <translation>Fichiers du zip à extraire (motifs, séparés par des virgules ; vide : fichiers entiers)</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="109" />
        <source>Catalog URL (instead of the one the layer records)</source>
        <translation>URL du catalogue (à la place de celle que la couche enregistre)</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="114" />
        <source>Overwrite existing files</source>
        <translation>Écraser les fichiers existants</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="117" />
        <source>Load downloaded rasters as layers</source>
        <translation>Charger les rasters téléchargés comme couches</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="123" />
        <source>Download folder</source>
        <translation>Dossier de téléchargement</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="128" />
        <source>Downloaded files table</source>
        <translation>Table des fichiers téléchargés</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="137" />
        <source>Downloaded files</source>
        <translation>Fichiers téléchargés</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="138" />
        <source>Bytes fetched</source>
        <translation>Octets récupérés</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="139" />
        <source>Scenes that failed</source>
        <translation>Scènes en échec</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="140" />
        <source>Cancelled</source>
        <translation>Annulé</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="161" />
        <source>The footprint layer has no feature to download.</source>
        <translation>La couche d'emprises ne contient aucune entité à télécharger.</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="172" />
        <source>Scene {} of {}: {}</source>
        <translation>Scène {} sur {} : {}</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="194" />
        <source>{}: {}</source>
        <translation>{} : {}</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="205" />
        <source>{}: {} files, {} bytes fetched, {} already there.</source>
        <translation>{} : {} fichiers, {} octets récupérés, {} déjà présents.</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="214" />
        <source>Download cancelled; {} files were complete.</source>
        <translation>Téléchargement annulé ; {} fichiers étaient complets.</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="216" />
        <source>Every scene failed to download (see the log).</source>
        <translation>Le téléchargement a échoué pour toutes les scènes (voir le journal).</translation>
    </message>
    <message>
        <location filename="../ui/processing_download.py" line="80" />
        <source>Downloads the scenes of a footprint layer made by 'Search scenes' (or only its selected features) into a folder, one sub-folder per scene. Assets are chosen by key or pattern (e.g. 'B04,B08' or 'role:data'); zip member patterns (e.g. '*_B04_*.tif') extract only those files from remote zip archives. Downloads resume and files already verified are skipped. With a clip area, only that area's pixels of each raster are fetched (windowed reads of cloud-optimised GeoTIFFs; other rasters are downloaded, then clipped) into NAME.clip.tif.</source>
        <translation>Télécharge dans un dossier les scènes d'une couche d'emprises produite par « Rechercher des scènes » (ou seulement ses entités sélectionnées), avec un sous-dossier par scène. Les ressources sont choisies par clé ou par motif (p. ex. 'B04,B08' ou 'role:data') ; des motifs de fichiers zip (p. ex. '*_B04_*.tif') n'extraient que ces fichiers des archives zip distantes. Les téléchargements interrompus reprennent et les fichiers déjà vérifiés sont ignorés. Avec une zone de découpe, seuls les pixels de cette zone sont récupérés pour chaque raster (lectures par fenêtre des GeoTIFF optimisés pour le cloud ; les autres rasters sont téléchargés, puis découpés) dans NOM.clip.tif.</translation>
    </message>
</context>
<context>
    <name>FootprintLayer</name>
    <message>
        <location filename="../ui/footprints.py" line="97" />
        <source>Scene footprints</source>
        <translation>Emprises des scènes</translation>
    </message>
</context>
<context>
    <name>JobTask</name>
    <message>
        <location filename="../ui/download_task.py" line="60" />
        <source>Scene Picker: download {}</source>
        <translation>Scene Picker : téléchargement de {}</translation>
    </message>
</context>
<context>
    <name>Layers</name>
    <message>
        <location filename="../ui/layers.py" line="86" />
        <source>{} is not a raster GDAL can open.</source>
        <translation>{} n'est pas un raster que GDAL peut ouvrir.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="106" />
        <source>Could not build the RGB composite: {}</source>
        <translation>Impossible de construire la composition RVB : {}</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="110" />
        <source>Could not build the RGB composite from the chosen bands.</source>
        <translation>Impossible de construire la composition RVB à partir des bandes choisies.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="121" />
        <source>Only http(s) URLs can be streamed: {}</source>
        <translation>Seules les URL http(s) peuvent être ouvertes à distance : {}</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="231" />
        <source>Scene Picker: open {}</source>
        <translation>Scene Picker : ouverture de {}</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="172" />
        <source>GDAL could not open {}.</source>
        <translation>GDAL n'a pas pu ouvrir {}.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="254" />
        <source>{} is a zip archive: give the members to open (patterns, or Members…).</source>
        <translation>{} est une archive zip : indiquez les fichiers à ouvrir (motifs, ou Contenu…).</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="262" />
        <source>No raster member of {} matches {}.</source>
        <translation>Aucun fichier raster de {} ne correspond à {}.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="279" />
        <source>Give three members (red, green, blue) of {} for an RGB composite, not {}.</source>
        <translation>Indiquez trois fichiers (rouge, vert, bleu) de {} pour une composition RVB, pas {}.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="289" />
        <source>{} matches {} raster members of {}; an RGB band needs exactly one.</source>
        <translation>{} correspond à {} fichiers raster de {} ; une bande RVB en demande exactement un.</translation>
    </message>
</context>
<context>
    <name>MembersDialog</name>
    <message>
        <location filename="../ui/members_dialog.py" line="32" />
        <source>Members of {}</source>
        <translation>Contenu de {}</translation>
    </message>
    <message>
        <location filename="../ui/members_dialog.py" line="34" />
        <source>Check the files to extract (only their bytes are downloaded).</source>
        <translation>Cochez les fichiers à extraire (seuls leurs octets sont téléchargés).</translation>
    </message>
    <message>
        <location filename="../ui/members_dialog.py" line="38" />
        <source>Filter names…</source>
        <translation>Filtrer les noms…</translation>
    </message>
</context>
<context>
    <name>ProcessingClip</name>
    <message>
        <location filename="../ui/processing_clip.py" line="35" />
        <source>Clip to area (polygons; empty: whole files)</source>
        <translation>Découper à la zone (polygones ; vide : fichiers entiers)</translation>
    </message>
    <message>
        <location filename="../ui/processing_clip.py" line="43" />
        <source>Clip buffer (metres)</source>
        <translation>Marge de découpe (mètres)</translation>
    </message>
    <message>
        <location filename="../ui/processing_clip.py" line="53" />
        <source>Set pixels outside the area to nodata</source>
        <translation>Mettre à nodata les pixels hors de la zone</translation>
    </message>
    <message>
        <location filename="../ui/processing_clip.py" line="69" />
        <source>The clip area layer has no polygon.</source>
        <translation>La couche de zone de découpe n'a aucun polygone.</translation>
    </message>
    <message>
        <location filename="../ui/processing_clip.py" line="116" />
        <source>Time stack: {}</source>
        <translation>Pile temporelle : {}</translation>
    </message>
</context>
<context>
    <name>ProviderOptionsForm</name>
    <message>
        <location filename="../ui/provider_options_form.py" line="47" />
        <source>default ({})</source>
        <translation>par défaut ({})</translation>
    </message>
    <message>
        <location filename="../ui/provider_options_form.py" line="53" />
        <source>not set</source>
        <translation>non défini</translation>
    </message>
</context>
<context>
    <name>ProviderSetup</name>
    <message>
        <location filename="../ui/providers_info.py" line="110" />
        <source>{} needs a catalog URL: enter it in the search form (Catalog URL).</source>
        <translation>{} a besoin de l'URL d'un catalogue : saisissez-la dans le formulaire de recherche (URL du catalogue).</translation>
    </message>
</context>
<context>
    <name>QgisAuthStore</name>
    <message>
        <location filename="../ui/auth_store.py" line="30" />
        <source>The QGIS authentication database is not available.</source>
        <translation>La base d'authentification de QGIS n'est pas disponible.</translation>
    </message>
    <message>
        <location filename="../ui/auth_store.py" line="36" />
        <source>The QGIS authentication database is locked.</source>
        <translation>La base d'authentification de QGIS est verrouillée.</translation>
    </message>
    <message>
        <location filename="../ui/auth_store.py" line="39" />
        <source>Unlock it with its master password (Settings ▸ Options ▸ Authentication).</source>
        <translation>Déverrouillez-la avec son mot de passe principal (Préférences ▸ Options ▸ Authentification).</translation>
    </message>
    <message>
        <location filename="../ui/auth_store.py" line="80" />
        <source>The QGIS authentication database refused to store the account of {}.</source>
        <translation>La base d'authentification de QGIS a refusé d'enregistrer le compte de {}.</translation>
    </message>
</context>
<context>
    <name>QueryForm</name>
    <message>
        <location filename="../ui/query_form.py" line="92" />
        <source>Providers</source>
        <translation>Fournisseurs</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="119" />
        <source>all collections (comma separated ids)</source>
        <translation>toutes les collections (identifiants séparés par des virgules)</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="121" />
        <source>Collections</source>
        <translation>Collections</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="126" />
        <source>Platforms</source>
        <translation>Plateformes</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="139" />
        <source>From (UTC)</source>
        <translation>Du (UTC)</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="140" />
        <source>To (UTC)</source>
        <translation>Au (UTC)</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="153" />
        <source>Cloud cover</source>
        <translation>Couverture nuageuse</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="159" />
        <source>Max results</source>
        <translation>Résultats max.</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="162" />
        <source>Advanced</source>
        <translation>Avancé</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="167" />
        <source>Product type</source>
        <translation>Type de produit</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="170" />
        <source>key=value; key2=value2 (provider specific)</source>
        <translation>clé=valeur; clé2=valeur2 (propre au fournisseur)</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="171" />
        <source>Extras</source>
        <translation>Paramètres supplémentaires</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="241" />
        <source>credentials ok</source>
        <translation>identifiants OK</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="242" />
        <source>credentials missing</source>
        <translation>identifiants manquants</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="243" />
        <source>no keyring</source>
        <translation>pas de trousseau</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="250" />
        <source>no account needed</source>
        <translation>aucun compte nécessaire</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="316" />
        <source>Collections and platforms searched at {}:</source>
        <translation>Collections et plateformes recherchées chez {} :</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="323" />
        <source>any platform</source>
        <translation>toute plateforme</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="327" />
        <source>Collections searched at {}</source>
        <translation>Collections recherchées chez {}</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="363" />
        <source>The start date is after the end date.</source>
        <translation>La date de début est postérieure à la date de fin.</translation>
    </message>
    <message>
        <location filename="../ui/query_form.py" line="208" />
        <source>Scene Picker: read the keyring</source>
        <translation>Scene Picker : lecture du trousseau de clés</translation>
    </message>
</context>
<context>
    <name>QueuePanel</name>
    <message>
        <location filename="../ui/queue_panel.py" line="127" />
        <source>Scene</source>
        <translation>Scène</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="127" />
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="127" />
        <source>Progress</source>
        <translation>Progression</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="127" />
        <source>Speed</source>
        <translation>Vitesse</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="127" />
        <source>ETA</source>
        <translation>Temps restant</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="144" />
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="147" />
        <source>Retry</source>
        <translation>Réessayer</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="150" />
        <source>Open folder</source>
        <translation>Ouvrir le dossier</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="151" />
        <source>Add layers</source>
        <translation>Ajouter les couches</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="237" />
        <source>queued</source>
        <translation>en attente</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="238" />
        <source>downloading</source>
        <translation>téléchargement en cours</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="239" />
        <source>done</source>
        <translation>terminé</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="240" />
        <source>failed</source>
        <translation>échec</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="241" />
        <source>cancelled</source>
        <translation>annulé</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="242" />
        <source>interrupted</source>
        <translation>interrompu</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="243" />
        <source>cancelling…</source>
        <translation>annulation…</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="66" />
        <source>{} members</source>
        <translation>{} membres</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="66" />
        <source>1 member</source>
        <translation>1 membre</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="72" />
        <source>whole archive</source>
        <translation>archive entière</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="154" />
        <source>Clear finished</source>
        <translation>Effacer les terminés</translation>
    </message>
    <message>
        <location filename="../ui/queue_panel.py" line="155" />
        <source>Remove the finished downloads from the list (files stay)</source>
        <translation>Retirer de la liste les téléchargements terminés (les fichiers restent)</translation>
    </message>
</context>
<context>
    <name>QuicklookCache</name>
    <message>
        <location filename="../ui/quicklook.py" line="114" />
        <source>Scene Picker: quicklook</source>
        <translation>Scene Picker : aperçu</translation>
    </message>
    <message>
        <location filename="../ui/quicklook.py" line="122" />
        <source>empty quicklook</source>
        <translation>aperçu vide</translation>
    </message>
    <message>
        <location filename="../ui/quicklook.py" line="126" />
        <source>The quicklook is not an image.</source>
        <translation>L'aperçu n'est pas une image.</translation>
    </message>
</context>
<context>
    <name>ResultsModel</name>
    <message>
        <location filename="../ui/results_model.py" line="117" />
        <source>Provider</source>
        <translation>Fournisseur</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="118" />
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="113" />
        <source>Date (UTC)</source>
        <translation>Date (UTC)</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="110" />
        <source>Cloud %</source>
        <translation>Nuages %</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="114" />
        <source>Platform</source>
        <translation>Plateforme</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="115" />
        <source>Collection</source>
        <translation>Collection</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="116" />
        <source>Availability</source>
        <translation>Disponibilité</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="121" />
        <source>downloaded</source>
        <translation>téléchargée</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="122" />
        <source>online</source>
        <translation>en ligne</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="123" />
        <source>offline</source>
        <translation>hors ligne</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="109" />
        <source>Scene</source>
        <translation>Scène</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="111" />
        <source>Tile</source>
        <translation>Tuile</translation>
    </message>
    <message>
        <location filename="../ui/results_model.py" line="112" />
        <source>Size</source>
        <translation>Taille</translation>
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
        <location filename="../ui/dock.py" line="48" />
        <source>Scene Picker</source>
        <translation>Scene Picker</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="169" />
        <source>Area of interest</source>
        <translation>Zone d'intérêt</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="344" />
        <source>Search</source>
        <translation>Rechercher</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="91" />
        <source>Results</source>
        <translation>Résultats</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="92" />
        <source>Downloads</source>
        <translation>Téléchargements</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="55" />
        <source>Rectangle</source>
        <translation>Rectangle</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="55" />
        <source>Polygon</source>
        <translation>Polygone</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="55" />
        <source>Map extent</source>
        <translation>Emprise du canevas</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="55" />
        <source>Edit vertices (right-click to finish)</source>
        <translation>Modifier les sommets (clic droit pour terminer)</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="55" />
        <source>Clear</source>
        <translation>Effacer</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="93" />
        <source>Layer extent</source>
        <translation>Emprise de la couche</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="100" />
        <source>Selected features</source>
        <translation>Entités sélectionnées</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="215" />
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="131" />
        <source>Settings…</source>
        <translation>Paramètres…</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="95" />
        <source>Filter id, platform, collection…</source>
        <translation>Filtrer par identifiant, plateforme, collection…</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="106" />
        <source>All providers</source>
        <translation>Tous les fournisseurs</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="116" />
        <source>cloud ≤ </source>
        <translation>nuages ≤ </translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="121" />
        <source>Online only</source>
        <translation>En ligne uniquement</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="123" />
        <source>Labels</source>
        <translation>Étiquettes</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="349" />
        <source>No scene selected</source>
        <translation>Aucune scène sélectionnée</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="164" />
        <source>Assets to download</source>
        <translation>Ressources à télécharger</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="170" />
        <source>zip members, e.g. */IMG_DATA/*B04.jp2 (optional)</source>
        <translation>fichiers du zip, p. ex. */IMG_DATA/*B04.jp2 (facultatif)</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="175" />
        <source>Members…</source>
        <translation>Contenu…</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="181" />
        <source>List the files inside the checked zip asset</source>
        <translation>Lister les fichiers contenus dans la ressource zip cochée</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="188" />
        <source>Download</source>
        <translation>Télécharger</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="194" />
        <source>Stream</source>
        <translation>Ouvrir à distance</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="200" />
        <source>Open the checked band without downloading it (/vsicurl/)</source>
        <translation>Ouvrir la bande cochée sans la télécharger (/vsicurl/)</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="205" />
        <source>RGB</source>
        <translation>RVB</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="208" />
        <source>Build an RGB composite (VRT) from three checked bands, in order</source>
        <translation>Construire une composition RVB (VRT) à partir de trois bandes cochées, dans l'ordre</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="225" />
        <source>Export…</source>
        <translation>Exporter…</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="228" />
        <source>Save the shown scenes as GeoJSON or CSV</source>
        <translation>Enregistrer les scènes affichées en GeoJSON ou CSV</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="184" />
        <source>No area: the search covers the whole world.</source>
        <translation>Aucune zone : la recherche couvre le monde entier.</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="189" />
        <source>W {:.4f}  S {:.4f}  E {:.4f}  N {:.4f} (EPSG:4326)</source>
        <translation>O {:.4f}  S {:.4f}  E {:.4f}  N {:.4f} (EPSG:4326)</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="241" />
        <source>Check at least one provider.</source>
        <translation>Cochez au moins un fournisseur.</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="278" />
        <source>Searching {}…</source>
        <translation>Recherche dans {}…</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="330" />
        <source>{}: {} scenes</source>
        <translation>{} : {} scènes</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="332" />
        <source> of {} matching</source>
        <translation> sur {} correspondantes</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="373" />
        <source>{} scenes found.</source>
        <translation>{} scènes trouvées.</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="366" />
        <source>Search stopped: {} ({} scenes).</source>
        <translation>Recherche interrompue : {} ({} scènes).</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="236" />
        <source>{} scenes ({} shown)</source>
        <translation>{} scènes ({} affichées)</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="250" />
        <source>Export scenes</source>
        <translation>Exporter les scènes</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="250" />
        <source>GeoJSON (*.geojson);;CSV (*.csv)</source>
        <translation>GeoJSON (*.geojson);;CSV (*.csv)</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="291" />
        <source>Export</source>
        <translation>Exporter</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="265" />
        <source>No scene to export.</source>
        <translation>Aucune scène à exporter.</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="280" />
        <source>Scene Picker: export {}</source>
        <translation>Scene Picker : export de {}</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="291" />
        <source>{} scenes written to {}.</source>
        <translation>{} scènes écrites dans {}.</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="360" />
        <source>Loading quicklook…</source>
        <translation>Chargement de l'aperçu…</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="378" />
        <source>No quicklook</source>
        <translation>Pas d'aperçu</translation>
    </message>
    <message>
        <location filename="../ui/dock_results.py" line="379" />
        <source>Quicklook of {}: {}</source>
        <translation>Aperçu de {} : {}</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="136" />
        <source>Select one or more scenes first.</source>
        <translation>Sélectionnez d'abord une ou plusieurs scènes.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="140" />
        <source>Check the assets to download.</source>
        <translation>Cochez les ressources à télécharger.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="160" />
        <source>{} download(s) queued.</source>
        <translation>{} téléchargement(s) mis en file d'attente.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="189" />
        <source>{} downloaded, {} layer(s) added.</source>
        <translation>Scène {} téléchargée, {} couche(s) ajoutée(s).</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="229" />
        <source>Zip members</source>
        <translation>Contenu du zip</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="207" />
        <source>Check a zip asset of the scene first.</source>
        <translation>Cochez d'abord une ressource zip de la scène.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="222" />
        <source>Scene Picker: list {}</source>
        <translation>Scene Picker : contenu de {}</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="250" />
        <source>Select a scene and check a band.</source>
        <translation>Sélectionnez une scène et cochez une bande.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="296" />
        <source>RGB composite</source>
        <translation>Composition RVB</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="295" />
        <source>{} RGB</source>
        <translation>{} RVB</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="296" />
        <source>Scene Picker: RGB composite of {}</source>
        <translation>Scene Picker : composition RVB de {}</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="198" />
        <source>Search the whole world?</source>
        <translation>Chercher dans le monde entier ?</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="204" />
        <source>Don't ask again</source>
        <translation>Ne plus demander</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="209" />
        <source>Search the whole world</source>
        <translation>Chercher dans le monde entier</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="289" />
        <source>No area of interest is set: {} will be searched over the whole world.</source>
        <translation>Aucune zone d'intérêt n'est définie : la recherche dans {} couvrira le monde entier.</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="292" />
        <source>That is slow and returns scenes from everywhere.</source>
        <translation>C'est lent et renvoie des scènes de partout.</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="298" />
        <source>Draw an area, or confirm the search of the whole world above.</source>
        <translation>Dessinez une zone, ou confirmez ci-dessus la recherche dans le monde entier.</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="354" />
        <source> The previous {} results are kept.</source>
        <translation> Les {} résultats précédents sont conservés.</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="363" />
        <source>Search cancelled.</source>
        <translation>Recherche annulée.</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="364" />
        <source>Search failed: {}</source>
        <translation>Échec de la recherche : {}</translation>
    </message>
    <message>
        <location filename="../ui/dock_search.py" line="370" />
        <source>{} scenes found; failed: {}</source>
        <translation>{} scènes trouvées ; en échec : {}</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="145" />
        <source>Draw an area of interest to clip to first.</source>
        <translation>Dessinez d'abord une zone d'intérêt à laquelle découper.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="253" />
        <source>Scene Picker: stream {}</source>
        <translation>Scene Picker : diffuser {}</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="253" />
        <source>Download the band instead.</source>
        <translation>Téléchargez plutôt la bande.</translation>
    </message>
    <message>
        <location filename="../ui/dock.py" line="279" />
        <source>Check three bands (red, green, blue), or a zipped product and three members.</source>
        <translation>Cochez trois bandes (rouge, vert, bleu), ou un produit zippé et trois fichiers.</translation>
    </message>
</context>
<context>
    <name>ScenePickerPlugin</name>
    <message>
        <location filename="../plugin.py" line="186" />
        <source>Scene Picker</source>
        <translation>Scene Picker</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="77" />
        <source>Show or hide the Scene Picker panel</source>
        <translation>Afficher ou masquer le panneau Scene Picker</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="83" />
        <source>Scene Picker needs the Python package shapely (see the message bar)</source>
        <translation>Scene Picker a besoin du paquet Python shapely (voir la barre de messages)</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="186" />
        <source>{} download(s) from the last session resume.</source>
        <translation>{} téléchargement(s) de la dernière session reprennent.</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="189" />
        <source>Show downloads</source>
        <translation>Afficher les téléchargements</translation>
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
        <location filename="../ui/processing_search.py" line="57" />
        <source>Search scenes</source>
        <translation>Rechercher des scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="60" />
        <source>Searches one satellite catalog for scenes over an area of interest (an extent, the features of a layer, or both combined), between two dates (the end date is included as a whole day), under a cloud cover. The result is a footprint layer with one feature per scene; its selection can be given to 'Download scenes'. STAC catalogs need their URL.</source>
        <translation>Recherche dans un catalogue satellite les scènes qui couvrent une zone d'intérêt (une emprise, les entités d'une couche, ou les deux combinées), entre deux dates (la date de fin est incluse sur toute la journée), sous un seuil de couverture nuageuse. Le résultat est une couche d'emprises avec une entité par scène ; sa sélection peut être transmise à « Télécharger des scènes ». Les catalogues STAC nécessitent leur URL.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="68" />
        <source>Area of interest (extent)</source>
        <translation>Zone d'intérêt (emprise)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="71" />
        <source>Area of interest (layer)</source>
        <translation>Zone d'intérêt (couche)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="81" />
        <source>Provider</source>
        <translation>Fournisseur</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="86" />
        <source>Catalog URL (STAC API or static catalog)</source>
        <translation>URL du catalogue (API STAC ou catalogue statique)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="91" />
        <source>Start date</source>
        <translation>Date de début</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="91" />
        <source>End date (included)</source>
        <translation>Date de fin (incluse)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="95" />
        <source>Minimum cloud cover (%)</source>
        <translation>Couverture nuageuse minimale (%)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="95" />
        <source>Maximum cloud cover (%)</source>
        <translation>Couverture nuageuse maximale (%)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="109" />
        <source>Platforms (comma separated)</source>
        <translation>Plateformes (séparées par des virgules)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="114" />
        <source>Collections (comma separated)</source>
        <translation>Collections (séparées par des virgules)</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="119" />
        <source>Maximum number of scenes</source>
        <translation>Nombre maximal de scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="124" />
        <source>Scene footprints</source>
        <translation>Emprises des scènes</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="129" />
        <source>Number of scenes found</source>
        <translation>Nombre de scènes trouvées</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="150" />
        <source>The area-of-interest layer has no geometry to search with.</source>
        <translation>La couche de zone d'intérêt ne contient aucune géométrie pour la recherche.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="191" />
        <source>Searching {}…</source>
        <translation>Recherche dans {}…</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="197" />
        <source>{} scenes match on the server.</source>
        <translation>{} scènes correspondent sur le serveur.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="208" />
        <source>{}: {}</source>
        <translation>{} : {}</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="210" />
        <source>Search cancelled after {} scenes.</source>
        <translation>Recherche annulée après {} scènes.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="212" />
        <source>{} scenes found.</source>
        <translation>{} scènes trouvées.</translation>
    </message>
    <message>
        <location filename="../ui/processing_search.py" line="220" />
        <source>Invalid date for {}.</source>
        <translation>Date non valide pour {}.</translation>
    </message>
</context>
<context>
    <name>SearchTask</name>
    <message>
        <location filename="../ui/search_task.py" line="47" />
        <source>Scene Picker: search</source>
        <translation>Scene Picker : recherche</translation>
    </message>
    <message>
        <location filename="../ui/search_task.py" line="113" />
        <source>provider {}</source>
        <translation>fournisseur {}</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../ui/settings_dialog.py" line="54" />
        <source>credentials stored</source>
        <translation>identifiants enregistrés</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="55" />
        <source>credentials missing</source>
        <translation>identifiants manquants</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="56" />
        <source>no account needed</source>
        <translation>aucun compte nécessaire</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="57" />
        <source>no keyring available</source>
        <translation>aucun trousseau de clés disponible</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="70" />
        <source>Scene Picker settings</source>
        <translation>Paramètres de Scene Picker</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="76" />
        <source>Accounts</source>
        <translation>Comptes</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="77" />
        <source>Downloads</source>
        <translation>Téléchargements</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="78" />
        <source>Network</source>
        <translation>Réseau</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="104" />
        <source>Provider</source>
        <translation>Fournisseur</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="120" />
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="123" />
        <source>User name</source>
        <translation>Nom d'utilisateur</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="126" />
        <source>password, token or API key</source>
        <translation>mot de passe, jeton ou clé d'API</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="127" />
        <source>Secret</source>
        <translation>Secret</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="130" />
        <source>Forget</source>
        <translation>Oublier</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="246" />
        <source>Test login</source>
        <translation>Tester la connexion</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="143" />
        <source>default endpoint</source>
        <translation>point d'accès par défaut</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="145" />
        <source>Catalog URL</source>
        <translation>URL du catalogue</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="148" />
        <source>Options</source>
        <translation>Options</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="161" />
        <source>Output folder</source>
        <translation>Dossier de sortie</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="163" />
        <source>Parallel downloads</source>
        <translation>Téléchargements simultanés</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="165" />
        <source>Per provider at most</source>
        <translation>Au plus par fournisseur</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="172" />
        <source>Requests per 10 s</source>
        <translation>Requêtes par 10 s</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="174" />
        <source>Requests per minute</source>
        <translation>Requêtes par minute</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="176" />
        <source>Proxy from QGIS settings: {}</source>
        <translation>Proxy des paramètres de QGIS : {}</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="176" />
        <source>No proxy (QGIS settings)</source>
        <translation>Aucun proxy (paramètres de QGIS)</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="230" />
        <source>no provider registered</source>
        <translation>aucun fournisseur enregistré</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="249" />
        <source>Get an account: &lt;a href="{0}"&gt;{0}&lt;/a&gt;</source>
        <translation>Créer un compte : &lt;a href="{0}"&gt;{0}&lt;/a&gt;</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="274" />
        <source>Put credentials in the account fields, not in the URL.</source>
        <translation>Saisissez les identifiants dans les champs du compte, pas dans l'URL.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="292" />
        <source>Enter the secret to store.</source>
        <translation>Saisissez le secret à enregistrer.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="301" />
        <source>Stored in the system keyring.</source>
        <translation>Enregistré dans le trousseau de clés du système.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="330" />
        <source>Scene Picker: test login to {}</source>
        <translation>Scene Picker : test de connexion à {}</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="335" />
        <source>Testing…</source>
        <translation>Test en cours…</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="345" />
        <source>Login succeeded.</source>
        <translation>Connexion réussie.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="349" />
        <source>Login failed: {}</source>
        <translation>Échec de la connexion : {}</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="352" />
        <source>Login failed (see the message log).</source>
        <translation>Échec de la connexion (voir le journal des messages).</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="107" />
        <source>System keyring</source>
        <translation>Trousseau de clés du système</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="108" />
        <source>QGIS authentication database</source>
        <translation>Base d'authentification de QGIS</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="109" />
        <source>Where accounts are kept. The QGIS authentication database (protected by its master password) serves systems without a keyring, e.g. Linux without a Secret Service.</source>
        <translation>Où les comptes sont conservés. La base d'authentification de QGIS (protégée par son mot de passe principal) sert aux systèmes sans trousseau de clés, p. ex. Linux sans Secret Service.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="117" />
        <source>Keep accounts in</source>
        <translation>Conserver les comptes dans</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="129" />
        <source>Save</source>
        <translation>Enregistrer</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="246" />
        <source>Test connection</source>
        <translation>Tester la connexion</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="262" />
        <source>The QGIS authentication database stays locked.</source>
        <translation>La base d'authentification de QGIS reste verrouillée.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="301" />
        <source>Stored in the QGIS authentication database.</source>
        <translation>Enregistré dans la base d'authentification de QGIS.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="345" />
        <source>Connection succeeded.</source>
        <translation>Connexion réussie.</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="349" />
        <source>Connection failed: {}</source>
        <translation>Échec de la connexion : {}</translation>
    </message>
    <message>
        <location filename="../ui/settings_dialog.py" line="352" />
        <source>Connection failed (see the message log).</source>
        <translation>Échec de la connexion (voir le journal des messages).</translation>
    </message>
</context>
<context>
    <name>Temporal</name>
    <message>
        <location filename="../ui/temporal.py" line="36" />
        <source>Clip to area</source>
        <translation>Découper à la zone</translation>
    </message>
    <message>
        <location filename="../ui/temporal.py" line="38" />
        <source>Fetch only the area's pixels; play the dates in time</source>
        <translation>Ne récupérer que les pixels de la zone ; lire les dates dans le temps</translation>
    </message>
</context>
</TS>