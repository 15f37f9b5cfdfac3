/*
 * Development aid for `mvn -Plocal-wrenn hpi:run` (README, "Try it without a Wrenn account"); the
 * profile copies this file into work/init.groovy.d, and Jenkins runs it at every start.
 *
 * It connects this development Jenkins to the local Wrenn-compatible test server the profile
 * started (LocalWrennServer, in the test sources): the API URL and a Secret text credential with its
 * key become the plugin's configuration, the dashboard says what that server is, and an example
 * Pipeline job is created (and built once) when there is none. That server runs commands as local
 * processes of the developer, without isolation: never copy this into a real Jenkins.
 *
 * Started without the profile (plain `mvn hpi:run` with the same work/), it only takes its message
 * off the dashboard.
 */
import com.cloudbees.plugins.credentials.CredentialsScope
import com.cloudbees.plugins.credentials.SystemCredentialsProvider
import com.cloudbees.plugins.credentials.common.IdCredentials
import hudson.util.Secret
import io.jenkins.plugins.wrenn.config.WrennGlobalConfiguration
import java.util.logging.Logger
import jenkins.model.Jenkins
import org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl
import org.jenkinsci.plugins.workflow.cps.CpsFlowDefinition
import org.jenkinsci.plugins.workflow.job.WorkflowJob

final String CREDENTIALS_ID = 'local-wrenn-key'
final String JOB = 'wrenn-example'
final String MESSAGE_START = 'Development Jenkins with the local Wrenn test server'

def log = Logger.getLogger('io.jenkins.plugins.wrenn.localServer')
def jenkins = Jenkins.get()
def infoFile = System.getProperty('wrenn.localServer.infoFile')

if (!infoFile) {
    if (jenkins.systemMessage?.startsWith(MESSAGE_START)) {
        jenkins.setSystemMessage(null)
    }
    log.info('Not started with -Plocal-wrenn: the local Wrenn test server is not set up.')
    return
}

// The server started just before Jenkins; a file left by an earlier run names a server that is gone.
def server = null
long deadline = System.currentTimeMillis() + 120000
while (server == null && System.currentTimeMillis() < deadline) {
    def file = new File(infoFile)
    if (file.isFile()) {
        def info = new Properties()
        file.withReader('UTF-8') { info.load(it) }
        try {
            def probe = (HttpURLConnection) new URL(info.getProperty('apiUrl') + '/v1/capsules').openConnection()
            probe.setRequestProperty('X-API-Key', info.getProperty('apiKey'))
            probe.connectTimeout = 2000
            probe.readTimeout = 5000
            if (probe.responseCode == 200) {
                server = info
            }
        } catch (IOException e) {
            // not (yet) listening
        }
    }
    if (server == null) {
        Thread.sleep(500)
    }
}
if (server == null) {
    log.warning("The local Wrenn test server did not answer within 120 s (its file: ${infoFile}); "
            + 'see the Maven output above the Jenkins log for why. Nothing was set up.')
    return
}
String apiUrl = server.getProperty('apiUrl')

def credentials = SystemCredentialsProvider.getInstance()
credentials.getCredentials().removeIf { it instanceof IdCredentials && it.id == CREDENTIALS_ID }
credentials.getCredentials().add(new StringCredentialsImpl(
        CredentialsScope.GLOBAL,
        CREDENTIALS_ID,
        'API key of the local Wrenn test server (mvn -Plocal-wrenn hpi:run; development only)',
        Secret.fromString(server.getProperty('apiKey'))))
credentials.save()

def wrenn = WrennGlobalConfiguration.get()
wrenn.setApiUrl(apiUrl)
wrenn.setDefaultCredentialsId(CREDENTIALS_ID)

jenkins.setSystemMessage(MESSAGE_START + " at ${apiUrl} (mvn -Plocal-wrenn hpi:run). "
        + 'It runs the commands of Wrenn steps as local processes of your user on this machine, without '
        + "any isolation; absolute paths are this machine's. Capsule ${server.getProperty('capsule')} is "
        + 'running for a freestyle step or a wrennExec with a capsule id; the job wrenn-example makes its own.')

if (jenkins.getItem(JOB) == null) {
    def job = jenkins.createProject(WorkflowJob, JOB)
    job.setDescription('An example of the Wrenn steps against the local Wrenn test server (development only).')
    job.setDefinition(new CpsFlowDefinition('''\
// The Wrenn server here is the local test server of `mvn -Plocal-wrenn hpi:run`: these commands run
// as local processes of your own user. The capsule is made for this build and destroyed after it.
wrennCapsule {
    wrennExec cmd: 'echo "Hello from capsule $WRENN_SANDBOX_ID"', label: 'Hello'
    def listing = wrennExec cmd: 'echo first; echo second', returnStdout: true
    echo "wrennExec returned: ${listing.trim()}"
    wrennExec cmd: 'echo "standard error shows in red on the console page" >&2', label: 'Standard error'
    def server = wrennExec cmd: 'echo ready; exec sleep 300', background: true, waitFor: 'ready'
    wrennKill tag: server.tag
}
''', true))
    job.save()
    job.scheduleBuild2(0)
    log.info("Created the job ${JOB} and started its first build.")
}

log.warning("Connected to the local Wrenn test server at ${apiUrl}, credentials ${CREDENTIALS_ID}. "
        + 'DEVELOPMENT ONLY: it runs commands as local processes without isolation.')
