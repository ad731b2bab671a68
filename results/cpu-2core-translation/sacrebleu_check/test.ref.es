PRINCIPIO del evangelio de Jesucristo, Hijo de Dios.
Voz del que clama en el desierto: Aparejad el camino del Señor; Enderezad sus veredas.
Bautizaba Juan en el desierto, y predicaba el bautismo del arrepentimiento para remisión de pecados.
Yo á la verdad os he bautizado con agua; mas él os bautizará con Espíritu Santo.
Y aconteció en aquellos días, que Jesús vino de Nazaret de Galilea, y fué bautizado por Juan en el Jordán.
Y luego, subiendo del agua, vió abrirse los cielos, y al Espíritu como paloma, que descendía sobre él.
Y hubo una voz de los cielos que decía: Tú eres mi Hijo amado; en ti tomo contentamiento.
Y luego el Espíritu le impele al desierto.
Mas después que Juan fué encarcelado, Jesús vino á Galilea predicando el evangelio del reino de Dios,
Y diciendo: El tiempo es cumplido, y el reino de Dios está cerca: arrepentíos, y creed al evangelio.
Y les dijo Jesús: Venid en pos de mí, y haré que seáis pescadores de hombres.
Y luego, dejadas sus redes, le siguieron.
Y entraron en Capernaum; y luego los sábados, entrando en la sinagoga, enseñaba.
Y se admiraban de su doctrina; porque les enseñaba como quien tiene potestad, y no como los escribas.
Y había en la sinagoga de ellos un hombre con espíritu inmundo, el cual dió voces,
Y Jesús le riñó, diciendo: Enmudece, y sal de él.
Y el espíritu inmundo, haciéndole pedazos, y clamando á gran voz, salió de él.
Y vino luego su fama por toda la provincia alrededor de Galilea.
Y la suegra de Simón estaba acostada con calentura; y le hablaron luego de ella.
Entonces llegando él, la tomó de su mano y la levantó; y luego la dejó la calentura, y les servía.
Y toda la ciudad se juntó á la puerta.
Y levantándose muy de mañana, aun muy de noche, salió y se fué á un lugar desierto, y allí oraba.
Y le siguió Simón, y los que estaban con él;
Y hallándole, le dicen: Todos te buscan.
Y predicaba en las sinagogas de ellos en toda Galilea, y echaba fuera los demonios.
Y así que hubo él hablado, la lepra se fué luego de aquél, y fué limpio.
Entonces le apercibió, y despidióle luego,
Y ENTRO otra vez en Capernaum después de algunos días, y se oyó que estaba en casa.
Entonces vinieron á él unos trayendo un paralítico, que era traído por cuatro.
Y viendo Jesús la fe de ellos, dice al paralítico: Hijo, tus pecados te son perdonados.
Y estaban allí sentados algunos de los escribas, los cuales pensando en sus corazones,
Decían: ¿Por qué habla éste así? Blasfemias dice. ¿Quién puede perdonar pecados, sino solo Dios?
A ti te digo: Levántate, y toma tu lecho, y vete á tu casa.
Y volvió á salir á la mar, y toda la gente venía á él, y los enseñaba.
Entonces los Fariseos le dijeron: He aquí, ¿por qué hacen en sábado lo que no es lícito?
También les dijo: El sábado por causa del hombre es hecho; no el hombre por causa del sábado.
Así que el Hijo del hombre es Señor aun del sábado.
Y OTRA vez entró en la sinagoga; y había allí un hombre que tenía una mano seca.
Y le acechaban si en sábado le sanaría, para acusarle.
Entonces dijo al hombre que tenía la mano seca: Levántate en medio.
Entonces saliendo los Fariseos, tomaron consejo con los Herodianos contra él, para matarle.
Mas Jesús se apartó á la mar con sus discípulos: y le siguió gran multitud de Galilea, y de Judea.
Porque había sanado á muchos; de manera que caían sobre él cuantos tenían plagas, por tocarle.
Mas él les reñía mucho que no le manifestasen.
Y subió al monte, y llamó á sí á los que él quiso; y vinieron á él.
Y estableció doce, para que estuviesen con él, y para enviarlos á predicar.
Y que tuviesen potestad de sanar enfermedades, y de echar fuera demonios:
A Simón, al cual puso por nombre Pedro;
Y á Judas Iscariote, el que le entregó. Y vinieron á casa.
Y agolpóse de nuevo la gente, de modo que ellos ni aun podían comer pan.
Y como lo oyeron los suyos, vinieron para prenderle: porque decían: Está fuera de sí.
Y habiéndolos llamado, les decía en parábolas: ¿Cómo puede Satanás echar fuera á Satanás?
Y si algún reino contra sí mismo fuere dividido, no puede permanecer el tal reino.
Y si alguna casa fuere dividida contra sí misma, no puede permanecer la tal casa.
Y si Satanás se levantare contra sí mismo, y fuere dividido, no puede permanecer; antes tiene fin.
Mas cualquiera que blasfemare contra el Espíritu Santo, no tiene jamás perdón, mas está expuesto á eterno juicio.
Porque decían: Tiene espíritu inmundo.
Vienen después sus hermanos y su madre, y estando fuera, enviaron á él llamándole.
Y él les respondió, diciendo: ¿Quién es mi madre y mis hermanos?
Y mirando á los que estaban sentados alrededor de él, dijo: He aquí mi madre y hermanos.
Porque cualquiera que hiciere la voluntad de Dios, éste es mi hermano, y mi hermana, y mi madre.
Y les enseñaba por parábolas muchas cosas, y les decía en su doctrina:
Oid: He aquí, el sembrador salió á sembrar.
Y aconteció sembrando, que una parte cayó junto al camino; y vinieron las aves del cielo, y la tragaron.
Mas salido el sol, se quemó; y por cuanto no tenía raíz, se secó.
Y otra parte cayó en espinas; y subieron las espinas, y la ahogaron, y no dió fruto.
Entonces les dijo: El que tiene oídos para oir, oiga.
Y cuando estuvo solo, le preguntaron los que estaban cerca de él con los doce, sobre la parábola.
Y les dijo: ¿No sabéis esta parábola? ¿Cómo, pues, entenderéis todas las parábolas?
El que siembra es el que siembra la palabra.
Y éstos son los que son sembrados entre espinas: los que oyen la palabra;
Si alguno tiene oídos para oir, oiga.
Decía más: Así es el reino de Dios, como si un hombre echa simiente en la tierra;
Y duerme, y se levanta de noche y de día, y la simiente brota y crece como él no sabe.
Porque de suyo fructifica la tierra, primero hierba, luego espiga, después grano lleno en la espiga;
Y cuando el fruto fuere producido, luego se mete la hoz, porque la siega es llegada.
Y decía: ¿A qué haremos semejante el reino de Dios? ¿ó con qué parábola le compararemos?
Y con muchas tales parábolas les hablaba la palabra, conforme á lo que podían oir.
Y sin parábola no les hablaba; mas á sus discípulos en particular declaraba todo.
Y les dijo aquel día cuando fué tarde: Pasemos de la otra parte.
Y á ellos dijo: ¿Por qué estáis así amedrentados? ¿Cómo no tenéis fe?
Y VINIERON de la otra parte de la mar á la provincia de los Gadarenos.
Que tenía domicilio en los sepulcros, y ni aun con cadenas le podía alguien atar;
Y como vió á Jesús de lejos, corrió, y le adoró.
Porque le decía: Sal de este hombre, espíritu inmundo.
Y le preguntó: ¿Cómo te llamas? Y respondió diciendo: Legión me llamo; porque somos muchos.
Y le rogaba mucho que no le enviase fuera de aquella provincia.
Y estaba allí cerca del monte una grande manada de puercos paciendo.
Y le rogaron todos los demonios, diciendo: Envíanos á los puercos para que entremos en ellos.
Y comenzaron á rogarle que se fuese de los términos de ellos.
Y fué con él, y le seguía gran compañía, y le apretaban.
Y una mujer que estaba con flujo de sangre doce años hacía,
Como oyó hablar de Jesús, llegó por detrás entre la compañía, y tocó su vestido.
Porque decía: Si tocare tan solamente su vestido, seré salva.
Y le dijeron sus discípulos: Ves que la multitud te aprieta, y dices: ¿Quién me ha tocado?
Y él miraba alrededor para ver á la que había hecho esto.
Y él le dijo: Hija, tu fe te ha hecho salva: ve en paz, y queda sana de tu azote.
Mas luego Jesús, oyendo esta razón que se decía, dijo al príncipe de la sinagoga: No temas, cree solamente.
Y no permitió que alguno viniese tras él sino Pedro, y Jacobo, y Juan hermano de Jacobo.
Y vino á casa del príncipe de la sinagoga, y vió el alboroto, los que lloraban y gemían mucho.
Y luego la muchacha se levantó, y andaba; porque tenía doce años. Y se espantaron de grande espanto.
Y SALIO de allí, y vino á su tierra, y le siguieron sus discípulos.
Y estaba maravillado de la incredulidad de ellos. Y rodeaba las aldeas de alrededor, enseñando.
Mas que calzasen sandalias, y no vistiesen dos túnicas.
Y les decía: Donde quiera que entréis en una casa, posad en ella hasta que salgáis de allí.
Y saliendo, predicaban que los hombres se arrepintiesen.
Y echaban fuera muchos demonios, y ungían con aceite á muchos enfermos, y sanaban.
Otros decían: Elías es. Y otros decían: Profeta es, ó alguno de los profetas.
Y oyéndo lo Herodes, dijo: Este es Juan el que yo degollé: él ha resucitado de los muertos.
Porque Juan decía á Herodes: No te es lícito tener la mujer de tu hermano.
Mas Herodías le acechaba, y deseaba matarle, y no podía:
Y le juró: Todo lo que me pidieres te daré, hasta la mitad de mi reino.
Y saliendo ella, dijo á su madre: ¿Qué pediré? Y ella dijo: La cabeza de Juan Bautista.
Y oyéndo lo sus discípulos, vinieron y tomaron su cuerpo, y le pusieron en un sepulcro.
Y se fueron en un barco al lugar desierto aparte.
Y les mandó que hiciesen recostar á todos por partidas sobre la hierba verde.
Y se recostaron por partidas, de ciento en ciento, y de cincuenta en cincuenta.
Y comieron todos, y se hartaron.
Y alzaron de los pedazos doce cofines llenos, y de los peces.
Y los que comieron eran cinco mil hombres.
Y después que los hubo despedido, se fué al monte á orar.
Y como fué la tarde, el barco estaba en medio de la mar, y él solo en tierra.
Y viéndole ellos, que andaba sobre la mar, pensaron que era fantasma, y dieron voces;
Porque aun no habían considerado lo de los panes, por cuanto estaban ofuscados sus corazones.
Y cuando estuvieron de la otra parte, vinieron á tierra de Genezaret, y tomaron puerto.
Y saliendo ellos del barco, luego le conocieron.
Y SE juntaron á él los Fariseos, y algunos de los escribas, que habían venido de Jerusalem;
Los cuales, viendo á algunos de sus discípulos comer pan con manos comunes, es á saber, no lavadas, los condenaban.
Y en vano me honra, Enseñando como doctrinas mandamientos de hombres.
Les decía también: Bien invalidáis el mandamiento de Dios para guardar vuestra tradición.
Y no le dejáis hacer más por su padre ó por su madre,
Invalidando la palabra de Dios con vuestra tradición que disteis: y muchas cosas hacéis semejantes á éstas.
Y llamando á toda la multitud, les dijo: Oidme todos, y entended:
Si alguno tiene oídos para oir, oiga.
Y apartado de la multitud, habiendo entrado en casa, le preguntaron sus discípulos sobra la parábola.
Mas decía, que lo que del hombre sale, aquello contamina al hombre.
Porque de dentro, del corazón de los hombres, salen los malos pensamientos, los adulterios, las fornicaciones, los homicidios,
Los hurtos, las avaricias, las maldades, el engaño, las desvergüenzas, el ojo maligno, las injurias, la soberbia, la insensatez.
Todas estas maldades de dentro salen, y contaminan al hombre.
Entonces le dice: Por esta palabra, ve; el demonio ha salido de tu hija.
Y como fué á su casa, halló que el demonio había salido, y á la hija echada sobre la cama.
Y mirando al cielo, gimió, y le dijo: Ephphatha: que es decir: Sé abierto.
Y luego fueron abiertos sus oídos, y fué desatada la ligadura de su lengua, y hablaba bien.
Tengo compasión de la multitud, porque ya hace tres días que están conmigo, y no tienen qué comer:
Y les pregunto: ¿Cuántos panes tenéis? Y ellos dijeron: Siete.
Tenían también unos pocos pececillos: y los bendijo, y mandó que también los pusiesen delante.
Y comieron, y se hartaron: y levantaron de los pedazos que habían sobrado, siete espuertas.
Y eran los que comieron, como cuatro mil: y los despidió.
Y luego entrando en el barco con sus discípulos, vino á las partes de Dalmanutha.
Y vinieron los Fariseos, y comenzaron á altercar con él, pidiéndole señal del cielo, tentándole.
Y dejándolos, volvió á entrar en el barco, y se fué de la otra parte.
Y se habían olvidado de tomar pan, y no tenían sino un pan consigo en el barco.
Y les mandó, diciendo: Mirad, guardaos de la levadura de los Fariseos, y de la levadura de Herodes.
Y altercaban los unos con los otros diciendo: Pan no tenemos.
¿Teniendo ojos no veis, y teniendo oídos no oís? ¿y no os acordáis?
Y les dijo: ¿Cómo aún no entendéis?
Y vino á Bethsaida; y le traen un ciego, y le ruegan que le tocase.
Y él mirando, dijo: Veo los hombres, pues veo que andan como árboles.
Y envióle á su casa, diciendo: No entres en la aldea, ni lo digas á nadie en la aldea.
Y ellos respondieron: Juan Bautista; y otros, Elías; y otros, Alguno de los profetas.
Entonces él les dice: Y vosotros, ¿quién decís que soy yo? Y respondiendo Pedro, le dice: Tú eres el Cristo.
Y les apercibió que no hablasen de él á ninguno.
Y claramente decía esta palabra. Entonces Pedro le tomó, y le comenzó á reprender.
Porque ¿qué aprovechará al hombre, si granjeare todo el mundo, y pierde su alma?
¿O qué recompensa dará el hombre por su alma?
Y les apareció Elías con Moisés, que hablaban con Jesús.
Porque no sabía lo que hablaba; que estaban espantados.
Y luego, como miraron, no vieron más á nadie consigo, sino á Jesús solo.
Y retuvieron la palabra en sí, altercando qué sería aquéllo: Resucitar de los muertos.
Y le preguntaron, diciendo: ¿Qué es lo que los escribas dicen, que es necesario que Elías venga antes?
Y como vino á los discípulos, vió grande compañía alrededor de ellos, y escribas que disputaban con ellos.
Y luego toda la gente, viéndole, se espantó, y corriendo á él, le saludaron.
Y preguntóles: ¿Qué disputáis con ellos?
Y respondiendo uno de la compañía, dijo: Maestro, traje á ti mi hijo, que tiene un espíritu mudo,
Y Jesús preguntó á su padre: ¿Cuánto tiempo há que le aconteció esto? Y él dijo: Desde niño:
Y Jesús le dijo: Si puedes creer, al que cree todo es posible.
Y luego el padre del muchacho dijo clamando: Creo, ayuda mi incredulidad.
Mas Jesús tomándole de la mano, enderezóle; y se levantó.
Y como él entró en casa, sus discípulos le preguntaron aparte: ¿Por qué nosotros no pudimos echarle fuera?
Y les dijo: Este género con nada puede salir, sino con oración y ayuno.
Y habiendo salido de allí, caminaron por Galilea; y no quería que nadie lo supiese.
Pero ellos no entendían esta palabra, y tenían miedo de preguntarle.
Mas ellos callaron; porque los unos con los otros habían disputado en el camino quién había de ser el mayor.
Porque el que no es contra nosotros, por nosotros es.
Donde su gusano no muere, y el fuego nunca se apaga.
Donde el gusano de ellos no muere, y el fuego nunca se apaga.
Donde el gusano de ellos no muere, y el fuego nunca se apaga.
Porque todos serán salados con fuego, y todo sacrificio será salado con sal.
Y llegándose los Fariseos, le preguntaron, para tentarle, si era lícito al marido repudiar á su mujer.
Mas él respondiendo, les dijo: ¿Qué os mandó Moisés?
Y ellos dijeron: Moisés permitió escribir carta de divorcio, y repudiar.
Y respondiendo Jesús, les dijo: Por la dureza de vuestro corazón os escribió este mandamiento;
Pero al principio de la creación, varón y hembra los hizo Dios.
Por esto dejará el hombre á su padre y á su madre, y se juntará á su mujer.
Y los que eran dos, serán hechos una carne: así que no son más dos, sino una carne.
Pues lo que Dios juntó, no lo aparte el hombre.
Y en casa volvieron los discípulos á preguntarle de lo mismo.
Y les dice: Cualquiera que repudiare á su mujer, y se casare con otra, comete adulterio contra ella:
Y si la mujer repudiare á su marido y se casare con otro, comete adulterio.
Y tomándolos en los brazos, poniendo las manos sobre ellos, los bendecía.
Y Jesús le dijo: ¿Por qué me dices bueno? Ninguno hay bueno, sino sólo uno, Dios.
El entonces respondiendo, le dijo: Maestro, todo esto he guardado desde mi mocedad.
Mas él, entristecido por esta palabra, se fué triste, porque tenía muchas posesiones.
Y ellos se espantaban más, diciendo dentro de sí: ¿Y quién podrá salvarse?
Entonces Pedro comenzó á decirle: He aquí, nosotros hemos dejado todas las cosas, y te hemos seguido.
Empero muchos primeros serán postreros, y postreros primeros.
Y le escarnecerán, y le azotarán, y escupirán en él, y le matarán; mas al tercer día resucitará.
Y él les dijo: ¿Qué queréis que os haga?
Y como lo oyeron los diez, comenzaron á enojarse de Jacobo y de Juan.
Mas no será así entre vosotros: antes cualquiera que quisiere hacerse grande entre vosotros, será vuestro servidor;
Y cualquiera de vosotros que quisiere hacerse el primero, será siervo de todos.
El entonces, echando su capa, se levantó, y vino á Jesús.
Y fueron, y hallaron el pollino atado á la puerta fuera, entre dos caminos; y le desataron.
Y unos de los que estaban allí, les dijeron: ¿Qué hacéis desatando el pollino?
Ellos entonces les dijeron como Jesús había mandado: y los dejaron.
Y trajeron el pollino á Jesús, y echaron sobre él sus vestidos, y se sentó sobre él.
Y el día siguiente, como salieron de Bethania, tuvo hambre.
Y no consentía que alguien llevase vaso por el templo.
Mas como fué tarde, Jesús salió de la ciudad.
Y pasando por la mañana, vieron que la higuera se había secado desde las raíces.
Entonces Pedro acordándose, le dice: Maestro, he aquí la higuera que maldijiste, se ha secado.
Y respondiendo Jesús, les dice: Tened fe en Dios.
Porque si vosotros no perdonareis, tampoco vuestro Padre que está en los cielos os perdonará vuestras ofensas.
El bautismo de Juan, ¿era del cielo, ó de los hombres? Respondedme.
Y si dijéremos, de los hombres, tememos al pueblo: porque todos juzgaban de Juan, que verdaderamente era profeta.
Mas ellos, tomándole, le hirieron, y le enviaron vacío.
Y volvió á enviar otro, y á aquél mataron; y á otros muchos, hiriendo á unos y matando á otros.
Teniendo pues aún un hijo suyo amado, enviólo también á ellos el postrero, diciendo: Tendrán en reverencia á mi hijo.
Mas aquellos labradores dijeron entre sí: Este es el heredero; venid, matémosle, y la heredad será nuestra.
Y prendiéndole, le mataron, y echaron fuera de la viña.
Por el Señor es hecho esto, Y es cosa maravillosa en nuestros ojos?
Y envían á él algunos de los Fariseos y de los Herodianos, para que le sorprendiesen en alguna palabra.
Entonces vienen á el los Saduceos, que dicen que no hay resurrección, y le preguntaron, diciendo:
Fueron siete hermanos: y el primero tomó mujer, y muriendo, no dejó simiente;
Y la tomó el segundo, y murió, y ni aquél tampoco dejó simiente; y el tercero, de la misma manera.
Y la tomaron los siete, y tampoco dejaron simiente: á la postre murió también la mujer.
Entonces respondiendo Jesús, les dice: ¿No erráis por eso, porque no sabéis las Escrituras, ni la potencia de Dios?
No es Dios de muertos, mas Dios de vivos; así que vosotros mucho erráis.
Y Jesús le respondió: El primer mandamiento de todos es: Oye, Israel, el Señor nuestro Dios, el Señor uno es.
Y las primeras sillas en las sinagogas, y los primeros asientos en las cenas;
Que devoran las casas de las viudas, y por pretexto hacen largas oraciones. Estos recibirán mayor juicio.
Y como vino una viuda pobre, echó dos blancas, que son un maravedí.
Dinos, ¿cuándo serán estas cosas? ¿y qué señal habrá cuando todas estas cosas han de cumplirse?
Y Jesús respondiéndoles, comenzó á decir: Mirad, que nadie os engañe;
Porque vendrán muchos en mi nombre, diciendo: Yo soy el Cristo; y engañaran á muchos.
Y á todas las gentes conviene que el evangelio sea predicado antes.
Y el que estuviere en el campo, no vuelva atrás á tomar su capa.
Mas ­ay de las preñadas, y de las que criaren en aquellos días!
Orad pues, que no acontezca vuestra huída en invierno.
Y entonces si alguno os dijere: He aquí, aquí está el Cristo; ó, He aquí, allí está, no le creáis.
Mas vosotros mirad; os lo he dicho antes todo.
Empero en aquellos días, después de aquella aflicción, el sol se obscurecerá, y la luna no dará su resplandor;
Y las estrellas caerán del cielo, y las virtudes que están en los cielos serán conmovidas;
Y entonces verán al Hijo del hombre, que vendrá en las nubes con mucha potestad y gloria.
Así también vosotros, cuando viereis hacerse estas cosas, conoced que está cerca, á las puertas.
De cierto os digo que no pasará esta generación, que todas estas cosas no sean hechas.
El cielo y la tierra pasarán, mas mis palabras no pasarán.
Mirad, velad y orad: porque no sabéis cuándo será el tiempo.
Porque cuando viniere de repente, no os halle durmiendo.
Y las cosas que á vosotros digo, á todos las dijo: Velad.
Y decían: No en el día de la fiesta, porque no se haga alboroto del pueblo.
Y hubo algunos que se enojaron dentro de sí, y dijeron: ¿Para qué se ha hecho este desperdicio de ungüento?
Mas Jesús dijo: Dejadla; ¿por qué la fatigáis? Buena obra me ha hecho;
Esta ha hecho lo que podía; porque se ha anticipado á ungir mi cuerpo para la sepultura.
Y él os mostrará un gran cenáculo ya preparado: aderezad para nosotros allí.
Y llegada la tarde, fué con los doce.
Y él respondiendo les dijo: Es uno de los doce que moja conmigo en el plato.
Y tomando el vaso, habiendo hecho gracias, les dió: y bebieron de él todos.
Y les dice: Esto es mi sangre del nuevo pacto, que por muchos es derramada.
Y como hubieron cantado el himno, se salieron al monte de las Olivas.
Mas después que haya resucitado, iré delante de vosotros á Galilea.
Entonces Pedro le dijo: Aunque todos sean escandalizados, mas no yo.
Y vienen al lugar que se llama Gethsemaní, y dice á sus discípulos: Sentaos aquí, entre tanto que yo oro.
Y toma consigo á Pedro y á Jacobo y á Juan, y comenzó á atemorizarse, y á angustiarse.
Y les dice: Está muy triste mi alma, hasta la muerte: esperad aquí y velad.
Y vino y los halló durmiendo; y dice á Pedro: ¿Simón, duermes? ¿No has podido velar una hora?
Velad y orad, para que no entréis en tentación: el espíritu á la verdad es presto, mas la carne enferma.
Y volviéndose á ir, oró, y dijo las mismas palabras.
Levantaos, vamos: he aquí, el que me entrega está cerca.
Y como vino, se acercó luego á él, y le dice: Maestro, Maestro. Y le besó.
Entonces ellos echaron en él sus manos, y le prendieron.
Y respondiendo Jesús, les dijo: ¿Como á ladrón habéis salido con espadas y con palos á tomarme?
Entonces dejándole todos sus discípulos, huyeron.
Mas él, dejando la sábana, se huyó de ellos desnudo.
Porque muchos decían falso testimonio contra él; mas sus testimonios no concertaban.
Entonces levantandose unos, dieron falso testimonio contra él, diciendo:
Mas ni aun así se concertaba el testimonio de ellos.
Entonces el sumo sacerdote, rasgando sus vestidos, dijo: ¿Qué más tenemos necesidad de testigos?
Oído habéis la blasfemia: ¿qué os parece? Y ellos todos le condenaron ser culpado de muerte.
Y estando Pedro abajo en el atrio, vino una de las criadas del sumo sacerdote;
Y como vió á Pedro que se calentaba, mirándole, dice: Y tú con Jesús el Nazareno estabas.
Y la criada viéndole otra vez, comenzó á decir á los que estaban allí: Este es de ellos.
Y él comenzó á maldecir y á jurar: No conozco á este hombre de quien habláis.
Y Pilato le preguntó: ¿Eres tú el Rey de los Judíos? Y respondiendo él, le dijo: Tú lo dices.
Y los príncipes de los sacerdotes le acusaban mucho.
Y le preguntó otra vez Pilato, diciendo: ¿No respondes algo? Mira de cuántas cosas te acusan.
Mas Jesús ni aun con eso respondió; de modo que Pilato se maravillaba.
Empero en el día de la fiesta les soltaba un preso, cualquiera que pidiesen.
Y había uno, que se llamaba Barrabás, preso con sus compañeros de motín que habían hecho muerte en una revuelta.
Y viniendo la multitud, comenzó á pedir hiciese como siempre les había hecho.
Y Pilato les respondió, diciendo: ¿Queréis que os suelte al Rey de los Judíos?
Porque conocía que por envidia le habían entregado los príncipes de los sacerdotes.
Mas los príncipes de los sacerdotes incitaron á la multitud, que les soltase antes á Barrabás.
Y respondiendo Pilato, les dice otra vez: ¿Qué pues queréis que haga del que llamáis Rey de los Judíos?
Y ellos volvieron á dar voces: Crucifícale.
Mas Pilato les decía: ¿Pues qué mal ha hecho? Y ellos daban más voces: Crucifícale.
Entonces los soldados le llevaron dentro de la sala, es á saber al Pretorio; y convocan toda la cohorte.
Y le visten de púrpura; y poniéndole una corona tejida de espinas,
Comenzaron luego á saludarle: ­Salve, Rey de los Judíos!
Y le herían en la cabeza con una caña, y escupían en él, y le adoraban hincadas las rodillas.
Y le llevan al lugar de Gólgotha, que declarado quiere decir: Lugar de la Calavera.
Y le dieron á beber vino mezclado con mirra; mas él no lo tomó.
Y cuando le hubieron crucificado, repartieron sus vestidos, echando suertes sobre ellos, qué llevaría cada uno.
Y era la hora de las tres cuando le crucificaron.
Y el título escrito de su causa era: EL REY DE LOS JUDIOS.
Y crucificaron con él dos ladrones, uno á su derecha, y el otro á su izquierda.
Y se cumplió la Escritura, que dice: Y con los inicuos fué contado.
Sálvate á ti mismo, y desciende de la cruz.
Y cuando vino la hora de sexta, fueron hechas tinieblas sobre toda la tierra hasta la hora de nona.
Y oyéndole unos de los que estaban allí, decían: He aquí, llama á Elías.
Mas Jesús, dando una grande voz, espiró.
Entonces el velo del templo se rasgó en dos, de alto á bajo.
Y cuando fué la tarde, porque era la preparación, es decir, la víspera del sábado,
Y enterado del centurión, dió el cuerpo á José.
Y María Magdalena, y María madre de José, miraban donde era puesto.
Y muy de mañana, el primer día de la semana, vienen al sepulcro, ya salido el sol.
Y decían entre sí: ¿Quién nos revolverá la piedra de la puerta del sepulcro?
Y como miraron, ven la piedra revuelta; que era muy grande.
Yendo ella, lo hizo saber á los que habían estado con él, que estaban tristes y llorando.
Y ellos como oyeron que vivía, y que había sido visto de ella, no lo creyeron.
Y ellos fueron, y lo hicieron saber á los otros; y ni aun á éllos creyeron.
Y les dijo: Id por todo el mundo; predicad el evangelio á toda criatura.
El que creyere y fuere bautizado, será salvo; mas el que no creyere, será condenado.
