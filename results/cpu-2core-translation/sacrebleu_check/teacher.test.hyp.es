Y el Hijo de Dios, el Hijo de Dios.
Y el Señor está en la voz de la voz de su boca, Y la voz de la voz de la voz del Señor.
Y aconteció que Juan en el desierto de Juan, y el arca de Juan en el templo.
Y en el Espíritu Santo os haré en el Espíritu.
Y aconteció que Juan en los Filisteos de Galilea, y se fué de Galilea.
Y he aquí el Espíritu Santo de los cielos, y el Espíritu Santo sobre el Espíritu Santo de la fiesta.
Y he aquí la voz de la voz de la voz de la voz de la voz de la voz de mi voz:
Y en el Espíritu Santo le dé en el Espíritu Santo:
Y aconteció Jesús á Juan en el monte de Dios de Galilea, que se fué de Galilea.
Y Dios es el tiempo de la casa del Dios y en el tiempo de la muerte y en la casa de Dios.
Y Jesús les dijo: Yo te daré.
Y llegaron á sus discípulos, y le siguieron.
Y tomaron á Carmela y á Carmelela en el día de Coath.
Y tomaron las varas de la cárca, y no se levantó como á sus discípulos.
Y en el cual yo se levantó en su espíritu, y en su espíritu se levantó en su espíritu.
Y dijo Jesús: Hablólo de él, diciendo:
Y el espíritu del espíritu se levantó con él.
Y los ancianos de Galilea, y se levantó á Galilea de Galilea.
Y oyendo la mujer de su madre: y le siguieron.
Y él se levantó á su cabeza, y le siguió.
Y todos los ancianos se juntaron en el desierto.
Y llegó á la noche, y se levantó en la ciudad.
Y oyendo los que le siguieron con él; y los que le siguieron.
Y dijéronle: Venid, y dijéronle:
Y se levantó á Galilea, y á todos sus discípulos.
Y como llegó á los Judíos, le había dicho de la ciudad.
Y dió á él, y le siguieron, y le siguieron.
Y oyendo Carar en el día que había hecho á Caar-sebar-sebar-sebar-sebar en el día de Carmelo, le había hecho.
Y el pueblo se levantó á él el pueblo de su pueblo:
Y respondiendo Jesús, les dijo: Vosotros te ha hecho, porque tú eres el buey de sus discípulos.
Mas los collados de los que estaban en el corazón de su corazón; y los ancianos de su corazón.
¿De el hombre como el hombre? ¿por qué se levantará á Dios?
Y he aquí tu casa á tu casa y tu padre, y á tu casa te dentro:
Y él se levantó á ellos á la cárca, y se levantó á ellos á la cárca.
Y los Fariseos le dijeron: ¿Dónde está en el día?
Y él les dijo: Volvió el hombre.
Y el Hijo del hombre es el Hijo del hombre.
Y el que se levantó en el hombre de su casa.
Y oyeron el pueblo que le siguieron, porque él le siguieron.
Y él les dijo: El hombre que se levantó el hombre.
Y los Fariseos de los Fariseos le siguieron, y los Fariseos de los Fariseos.
Y aconteció Jesús de Galilea, y le siguieron de Galilea.
Porque el hombre que le siguieron, como lo que le había hecho.
Y él no le siguieron, porque no le siguieron.
Y fuése á él el que había hecho, y fuése á él en el desierto.
Y él se levantó con él.
Hasta cuándo se levantó á los ruegos, y alcanzó á los bueyes, y á los ruegos.
Y dijo Moisés á Moisés: y el nombre de Simón, el nombre de Simón, el nombre de Jehová.
Y el que se levantó en él.
Y los otros, comieron que no se comieron.
Y oyendo sus discípulos, le respondieron.
Y él les dijo: ¿Dónde está en ellas? Y él les dijo: ¿Dónde está en ellas?
Y si alguno es el día que se levanta contra él;
Y si la casa de la casa está en la casa de la casa de la casa de la casa de la casa;
Y si no se levantó contra ti.
Y el Espíritu que se levanta contra el Espíritu Santo: mas el Espíritu Santo está en el Espíritu.
Y respondiendo Jesús, les dijo: Venid, porque el espíritu se ha hecho.
Y su madre le siguieron á su madre, y le siguieron.
Y respondiendo Jesús, les dijo: ¿Cómo son mis ojos, ¿Dónde son mis ojos, ¿Dónde están?
Y él dijo: He aquí mi madre y mi madre y mi madre y á los que le sananos.
Porque el cual es mi hermano, y el cual es la mujer de Dios, y el cual es mi hermano.
Y él les hablaba en sus discípulos, y se levantó en sus discípulos.
He aquí que se levantó á los Levitas, Y he aquí que se levantó á la ciudad.
Y tomando el arroyo de la ciencia, y le siguieron, y le siguieron.
Y si no se levantó, y se fué, y no se levantó, y no se levantó, y no se levantó,
Y no predicó las varas y los piejos, y los piejos.
Y él dijo: He aquí que él le ha hecho.
Y como los que le siguieron con él;
Y él les dijo: ¿Por qué te dirás? Y él les dijo: ¿Por qué te dirás?
La palabra es la palabra; Y la palabra semejante la palabra.
Estos son los que son de los que están en la palabra; Y los que están en la palabra.
Y si alguno le oirá.
Y él dijo: Ve, si alguno es el hombre de Dios, como el hombre.
Y el pueblo se levantó y no se levantó; y no sabe y la ciencia.
Porque el primero que el primero.
Mas él se levantó la cárcela á la fiesta de la ciudad.
Y él dijo: ¿Dónde está en el día de Dios? Y él les dijo: ¿Cuándo seréis?
Y oyendo la palabra, como les había dicho.
Mas ellos no hablaba á sus discípulos, sino á sus discípulos.
Y él les dijo: De la mujer de la mujer de la viuda que había dicho.
Y él les dijo: ¿Por qué estáis? Y él les dijo: ¿Dónde estáis?
Y llegaron á la parte de la parte del oriente hasta la casa de Gad, por la parte de Gada.
Y el que estaba en sus riquezas, que no le siguieron en sus riquezas.
Y oyendo Jesús de él Jesús le siguieron, y le siguió.
Porque él le dijo: Vosotros te ha dicho el espíritu del Señor.
Y él dijo: ¿Qué es tu nombre? Y él respondió: ¿Qué es tu nombre.
Y él se levantó de los Judíos, porque no le siguieron.
Y la ciencia de la cárcela de la cárcela de su casa.
Y todo lo que le había hecho, diciendo: Volvido á los ancianos en el desierto.
Y comenzaron á Jesús de sus discípulos.
Entonces él le siguieron, y le siguieron.
Y el cual es un año de Aarón, una mujer de Araba;
Y oyendo las cosas que le siguieron en la cárcela de sus manos, y le siguieron.
Y él dijo: Yo soy suyo. Y él respondió: He aquí yo te daré.
Respondiólos, y díjole: Señor, ¿por qué me has hecho?
Y el que había dicho á su casa.
Y dijo á la tierra: He aquí tu mano, y he aquí tus mandamientos.
Mas él les dijo: No se acordaba de la palabra de la palabra.
Y dió á Juan á Juan, y á Juan, y á Juan á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y
Y él se levantó á la cárca, y se levantó de la ciudad.
Y estuvo con los días de los años era con ellos; y se levantó, y se acordaron de un año.
Y llegó á sus discípulos que había hecho, y fuése de sus discípulos.
Y él se levantó á la cárcela de su casa.
Y no predicaron á los dos vacas, y á los vacas, y á los dos vacas.
Y él les dijo: He aquí tú eres de allí.
Y oyendo estas cosas que había dicho, y oyeron.
Y los que estaban con ellos; y los que estaban con ellos.
Y dijo Elías: He aquí el profeta es el profeta, y el profeta es el profeta.
Y él les dijo: He aquí que si alguno es el Espíritu Santo de Juan de Juan.
Y dijo á Juan á Juan á Juan, y no es el hermano de tu hermano.
Mas él se levantó contra él, y no le siguieron.
Y él me haré.
Y RESPONDIO Eliú, y dijo: ¿Cuánto de la mujer?
Y oyendo sus discípulos á sus discípulos, y le siguieron.
Y tomaron á los ancianos de la fiesta en el desierto;
E hizo lo malo sobre todos los Judíos, para que se levantó sobre todas las gentes.
Y de las gentes y dos mil y seiscientos.
Y fueron enojados y en todo lo quemaba; y todos los que estaban en todos.
Y tomaron las varas de las ovejas de las varas de oro.
Los contados los contados de los contados fueron cuarenta mil y dos mil hombres,
Y aconteció que estaba en el monte de ellos, porque él había hecho á la fiesta de la ciudad.
Y estaba en el desierto de la fiesta de la fiesta de la mañana, y era en el desierto;
Y oyendo la ciencia, y le siguieron, y le siguieron.
Mas ellos fueron las gentes, mas no se juntaron sus manos, mas los collados de su corazón;
Y oyendo la tierra á la tierra á Gabaón y á la tierra á la tierra:
Y como el pueblo se levantó el pueblo de la ciudad.
Entonces los Fariseos de los Fariseos de Jerusalem.
Y oyendo estas cosas que los discípulos de sus discípulos, le siguieron.
Mas los hombres de los hombres.
Y él les dijo: He aquí que vosotros os digo, que te ha dicho: Yo soy el Dios de tu Dios.
Ahora pues, padre á todos sus hermanos y á su padre, y á todo su padre.
Hicisteis á tu palabra, oh Dios de tu palabra que te ha hecho.
Y él les dijo: De cierto os digo, y todos los ancianos de mí, y todos los Judíos.
Si dijere á él?
Y oyendo la casa de la casa de la casa de la casa de la casa de la casa de su casa.
Y dijo el hombre que dijo:
Porque de los malos se levantaron de los malos de los malos, Y de los pecados.
El impío el impío, y el impío, y el malo se levantará de los impíos,
Y todos los unos á los hombres.
Y él dijo á tu hija de tu siervo, diciendo: Volvió tu hija de tu siervo.
Y aconteció que la cárca, y se levantó á la cárca.
Y él les dijo: Ve, y hazzmejado ápha ápha y áphaos,
Y él les habló de sus ojos, y le siguieron.
Y he aquí un carnero, y comieron á tres días.
Y dijéronle: ¿Dónde quieres tú?
Y ellos les dijo: Volvieron, porque él les había hecho.
Y tomaron los siete días, y se juntaron de los siete días.
Entonces los contados fueron tres mil y tres mil y tres mil y trescientos.
Y tomó en el arca de Dismo, y se levantó en el desierto de su casa.
Y los Fariseos de los Fariseos se levantó de él de los cielos, y se levantó de él.
Y llegó á los ancianos y á los Judíos, y se levantó en el desierto;
Y no entraron con ellos; y no se apartaron con ellos en el desierto.
Y los Fariseos de los Fariseos y los Fariseos de los Fariseos, diciendo:
Y he aquí el uno de los unos á los otros, diciendo: He aquí yo os digo.
¿Dónde te he hecho? ¿Dónde os digo, ¿por qué te he hecho?
Y él les dijo: ¿Dónde os coméis? Y él les dijo: ¿Dónde quieres tú?
Y llegaron á él, y le siguieron, y le siguieron.
Y él les dijo: He aquí yo os digo, y digo.
Y envió Moisés á su madre á su madre á su madre á su casa.
Y oyeron los profetas, y los profetas, y los profetas, y los profetas, y los profetas, y los profetas,
Y respondiendo Jesús, les dijo: ¿Dónde estáis el Señor? Y él les dijo: ¿Dónde eres tú?
Y él les había mandado á él: porque no le siguieron.
Y comenzó á Moisés y á él les habló.
Porque el mundo es el mundo, y el mundo de toda suerte?
Porque el hombre que en su casa.
Y oyendo Jesús á Elías y á Elías: y oyeron á Elías á Elías y á Elías á Elías á Elías y á Elías á Elías y á Elías á Elías á Elías fueron con ellos y á Elías á Elías y á Elías á El
Porque no sabían que él les respondieron, porque no lo que lo que lo que le temen.
Y oyendo Jesús con ellos; porque no creían.
Y oyeron los Judíos de la fiesta de los Judíos, diciendo:
Y oyendo Elías á Elías: ¿Dónde le dijéronle?
Y oyendo los Judíos, y le siguieron.
Y oyendo estas cosas, y vieron á él todos los ancianos de él.
Y él les dijo: ¿Dónde estáis las palabras? Y él les dijo: ¿Dónde están?
Y RESPONCESPONDIO el espíritu de mi espíritu, dijo:
Y él les dijo: ¿Cuánto él? Y él dijo: ¿Dónde le ha hecho?
Y respondiendo Jesús, les dijo: ¿Cómo os digo, que os digo, ¿por qué te digo.
Ahora pues, padre de mi madre; Y dé á la cárcela de la fiesta de la ciudad.
Mas Jesús le siguieron, y le siguieron.
Y como los discípulos le dijeron: ¿Dónde le siguieron? ¿Dónde le siguieron.
Y él les dijo: Venid, y no creyeron.
Y no se levantó de Galilea, y no se levantó de Galilea.
Y oyeron los ancianos de él.
Mas los otros, oyendo los que estaban con los otros.
Porque el que es contra nuestros padres en nuestros padres no hay paz.
Y no es el bien, y no pueda el mal, y no publica.
Y no es el bien, y no pueda el mal, y no publica.
Y no es el bien, y no pueda el mal, y no publica.
Porque todo lo que se levantará con todas estas cosas, y con todas estas cosas.
Y oyendo él los Fariseos á su ley: ¿Dónde le siguieron?
Y RESPONDIO Job, y dijo:
Y ellos dijeron: Venid á todos sus discípulos, y á todos sus discípulos.
Y respondiendo Jesús, les dijo: Vosotros os digo, que te ha dicho: Yo soy de tu prójimo.
Y de los Judíos, y se levantó de la ciudad.
Porque el hombre se levantará á su padre, y á su madre, y á su padre.
Mas el uno de la fiesta, y no se levantarán.
Porque no tenemos á Dios en el hombre.
Y aconteció que los discípulos á sus discípulos le siguieron.
Y él les dijo: Venid, y se levantará contra su casa.
Y si la mujer de su casa, y la mujer de su casa.
Y tomólos en sus manos y en sus manos sobre ellos.
Respondió Jesús: ¿Dónde estáis á Dios.
Y él les dijo: Yo soy de todas las cosas que yo os digo.
Mas el que se fué deto, y fuése en su mano.
¿Dónde le siguieron, ¿por qué se juntaron? ¿Dónde le dieron.
Y comenzó á Moisés y á todo lo que le mandó.
Mas el primero, y el primero.
Y le siguieron, y le dejarás.
Y él les dijo: ¿Por qué me respondéis? Y él les dijo: ¿Por qué me has hecho?
Y oyendo Juan á Juan con Juan y á Juan con los ancianos de Jaba.
Mas el cual no se levantará á ti; mas el que te dirá.
Y el cualquiera que se comeréis.
Y aconteció que Jesús se levantó á sus discípulos, y le siguieron.
Y tomaron la ciencia, y se levantaron en el arca de la cárca.
Y los que están de los que están en la ciudad de los que están?
Y Jesús les dijo: Volvieron.
Y llegaron á Jesús, y le siguieron, y le siguieron, y le siguieron.
Y los Judíos, se levantó de allí.
Y él se levantó á todos los bueyes, no se apóstoles.
Y como él se levantó de la ciudad.
Y pasaron de la fiesta de la mañana, de la mañana.
Y los Judíos, le dijo: Venid, que te ha hecho.
Y Jesús les dijo: No hay en Dios.
Mas si no os acordarás de tus mandamientos, ni en tu Padre no te dirá.
¿Hasta cuándo de Juan, Y los hombres de los hombres.
Y siendo Juan á Juan á Juan á Juan á Juan á Juan de los profetas.
Y tomaron á él, y le oyeron.
Y oyendo estas cosas á los otros, y le siguieron.
Y fué á él un hijo mío, diciendo:
Y él les dijo: Venid, y dolor es el arroyo de los Judíos.
Y tomaron á él, y le siguieron, y le siguieron.
¿Quién es el Señor nuestro Señor? ¿Dónde está en el Señor?
Y oyendo los Fariseos de los Fariseos de los Fariseos de los Fariseos de los Fariseos.
Y oyendo estas cosas, diciendo: No lo que le respondieron.
Y los hijos de cuarenta y dos hijos.
Y el tercer día se fué, y el tercero.
Y los hijos de Labán novían á todos los hijos de Lot.
Respondió Jesús: ¿A quién no sabéis el Dios de los muertos?
No hay paz de Dios; mas el Dios de los cielos, mas el Dios de los cielos.
Y RESPONCESPONDIO Jesús: Vosotros es el Señor nuestro Señor.
Y los príncipes de los Levitas, y en el duqueño y en el duqueño y en el duqueño.
Y los que se levantarán, y los que se levantarán, y la oración; y la oración á los que se gozarán.
Y estuvo en el pobre, y se levantó en un pobre, y el pobre, y el pobre, y el pobre.
¿Dónde estáis todas estas cosas? ¿Dónde estáis todas estas cosas? ¿Dónde estáis todas estas cosas?
Y Jesús les dijo: No os digo, para que os digo, para que seáis, para que no creéis.
Porque él hablará en mi nombre, y comerá en mi nombre.
Y el primero que se levantó á todos los ancianos á todos los hombres.
Y el que no se levanta á su casa; Y el que le teme á su casa.
Mas los que habitan á los que están con los que están con los que están con los que están en Sittim, y á los que están en Sión.
Y no se acordó en el desierto, que no se levantará en el desierto.
Respondió Jesús: ¿Dónde está escrito de vosotros? ¿Dónde estáis á vosotros?
Mas yo os digo, que yo os digo.
Mas el día que no se apartará en el día de la luz.
Y en el cielo será el cielo, y el cielo será en el cielo.
Entonces se levantarán en el Hijo de Dios.
Y también vosotros lo que os digo, que estáis á los Judíos, para que estáis á los muertos.
Por lo cual yo os digo, que todas estas cosas, no pasaré á nosotros.
Y él pasará mi alma, y no pasarán; mas mis mandamientos no pasarán.
Y no sabéis, y no sabéis, y no sabéis la voz; porque no sabéis.
Por lo cualquiera que se acordare; porque el que se levanta á la ciencia.
¿Por qué os digo, que yo os digo, ¿por qué te digo.
Y respondiendo el pueblo se levantó el pueblo de la ciudad. Y el pueblo se levantó allí.
Mas los que estaban enfermedades, diciendo: ¿Cómo se levantaron?
Y dijo Jesús: ¿Por qué me ha hecho? Y él dijo: ¿Por qué me ha hecho?
Y concibió el cuerpo delante de mi cuerpo, para que el cuerpo de mi cuerpo.
Y él se levantará, y se levantarás.
Y como se fué con él;
Y él respondió, y díjole: El que está en el desierto.
Y llegaron á todos los ancianos de los Judíos, y le siguieron.
Y él les dijo: El hombre es el hombre que es el hombre que semejante al hombre.
Y como los Fariseos de Mathanitas se juntaron á Mizpa;
Y yo os digaré delante de Galilea, que yo os digaré delante de Galilea.
Y respondiendo Jesús, les dijo: No te daré.
Y él les dijo: He aquí que el nombre de su nombre se ha hecho.
Y comenzó á Juan y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á Juan, y á
Y él les dijo: Venid, y dolor es; Y él les dijo: Volvió.
Y él les dijo: ¿Cuánto tú? Y él les dijo: ¿Dónde estáis tú?
Y el espíritu de la ley está en el espíritu, y no hay en el espíritu.
Y fué palabra de la palabra, y fué palabra.
He aquí que mi alma está en mí.
Y él les dijo: He aquí que él le siguieron.
Y llegaron sobre él sus manos sobre él.
Respondió Jesús, y dijo: ¿Por qué me has hecho?
Y oyeron todas estas cosas: y él le siguieron.
Y tomó de los Judíos, y le siguieron.
Porque no sabía con él.
Y llegó contra él, diciendo:
Porque no descienden sus manos, porque no se ha hecho.
Y los hijos de sus discípulos, y dijo: ¿Cuántico de su casa.
¿Dónde le disteis á todos? ¿Dónde estáis todas las palabras de todos?
Y aconteció el tabernáculo del testimonio, en el tabernáculo del testimonio, en el tabernáculo del testimonio.
Y respondiendo Jesús, les dijo: Volviólos, y se levantaron con el campo, y se levantó, y semejante á Naba.
Y los que le siguieron.
Mas no sabéis que habla á este hombre que habla á este hombre.
Y respondiendo Jesús, les dijo: ¿Cuánto de los Judíos? Y él les dijo: ¿Cómo dijéronle: ¿Dónde decís?
Y los príncipes de los príncipes de los sacerdotes de los príncipes de los príncipes de los Judíos.
Y dijéronle: ¿Dónde os digo, que no sabes contra él?
Mas Jesús no se levantó á Jesús.
Y oyendo estas cosas á los Judíos, le siguieron.
Y el que se llamaba con los hombres que había hecho con los hombres que habían hecho.
Y los Judíos se levantó á sus discípulos, como le siguieron.
Y dijéronle: ¿Dónde tú tú tú eres el monte de los Judíos?
Porque el duercibió á los príncipes de los sacerdotes para que le había hecho.
Mas los príncipes de los Levitas se levantó á los príncipes de los sacerdotes,
Y dijéronle: ¿Dónde yo os digo, que yo os digo?
Y le siguieron, y le siguieron.
Y él les dijo: ¿Dónde le dieron? Y él les dijo: ¿Por qué le ha hecho?
Y los ancianos de la fiesta de todos los Judíos, y le siguieron.
Y vieron, y vendieron á él con él; y le siguieron.
Y comenzaron á Saúl, y le siguieron.
Y volvieron, y llegaron á sus discípulos, y le siguieron.
Y estuvieron á Gabaa, que se llamaba á Gabaón de Gilga.
Y no le siguieron con él; mas no le siguieron.
Y lo que le siguieron, porque se levantó sobre él su casa.
Y el tercer día fué, y el tercero.
Y el arca de sueño se levantó á JEHOVA.
Y le siguieron sobre sus manos, y le siguieron.
Los cuales se levantaron con ellos: Los cuales se levantaron, y se levantó con ellos:
Venid, y henchido de la fiesta de la fiesta, y la ciencia.
Y como la tierra se levantó en la tierra de la tierra; y la tierra sexta sobre la tierra de la tierra.
Y oyendo Elías á Elías: He aquí que los que había dicho á Elías;
Y dijo Jesús: Venid, y el espíritu se levantó con el espíritu.
Y el término de la fiesta de la ciudad era en el templo de la ciudad.
Y como el día de la fiesta de la fiesta que se fué, porque el día de la ciudad.
Y como él se levantó de un cuerpo de un cuerpo de un cuerpo de la ciudad.
Y comenzó á Mardochêo, y á Machîri de Sittim, y á Mardoy.
Y aconteció que el día de la cárcela á la mujer de los Judíos.
Y estaban los ancianos de los Judíos?
Y oyendo la fiesta de ellos lejaron, y se levantaron á la fiesta.
Y oyendo los que estaban con él.
Y oyendo estas cosas que había hecho, y oyendo estas cosas, y oyendo estas cosas.
Y oyeron los Judíos, y no les había hecho.
Y él les dijo: El mundo está en el mundo y el mundo.
El que se levantará, y el que se levantará; mas el que se levantarás.
