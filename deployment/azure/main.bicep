// Azure deployment: App Service (Linux, Node 20) running the bot + Azure Bot registration
// (Direct Line and Web Chat channels). MongoDB is external (Atlas or Cosmos DB for MongoDB):
// pass its connection string. Deploy:
//   az deployment group create -g <rg> -f deployment/azure/main.bicep \
//     -p botName=<name> microsoftAppId=<id> microsoftAppPassword=<secret> mongodbUri=<uri> ...
@description('Base name for the resources.')
param botName string
param location string = resourceGroup().location
@description('Entra ID app registration used by the bot (SingleTenant recommended).')
param microsoftAppId string
@secure()
param microsoftAppPassword string
param microsoftAppTenantId string = subscription().tenantId
@allowed(['SingleTenant', 'MultiTenant', 'UserAssignedMSI'])
param microsoftAppType string = 'SingleTenant'
@secure()
param mongodbUri string
@secure()
param backofficeToken string
@secure()
param twilioAuthToken string = ''
param twilioAccountSid string = ''
param twilioFromNumber string = ''
param cluEndpoint string = ''
@secure()
param cluKey string = ''
param cluProjectName string = ''
param cluDeploymentName string = ''
param sku string = 'B1'
@description('Origins of the company website pages that embed the chat (/embed.js), e.g. https://www.carlinkit.com')
param webchatAllowedOrigins string = ''

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${botName}-plan'
  location: location
  kind: 'linux'
  sku: { name: sku }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: botName
  location: location
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      appCommandLine: 'node --max-old-space-size=1536 dist/src/index.js'
      healthCheckPath: '/readyz'
      webSocketsEnabled: true
      alwaysOn: true
      appSettings: [
        { name: 'NODE_ENV', value: 'production' }
        { name: 'PORT', value: '8080' }
        { name: 'PUBLIC_BASE_URL', value: 'https://${botName}.azurewebsites.net' }
        // App Service's front end is the one proxy: it appends the client's address to X-Forwarded-For.
        { name: 'TRUSTED_PROXIES', value: '1' }
        { name: 'WEBCHAT_ALLOWED_ORIGINS', value: webchatAllowedOrigins }
        { name: 'MONGODB_URI', value: mongodbUri }
        { name: 'MicrosoftAppId', value: microsoftAppId }
        { name: 'MicrosoftAppPassword', value: microsoftAppPassword }
        { name: 'MicrosoftAppType', value: microsoftAppType }
        { name: 'MicrosoftAppTenantId', value: microsoftAppTenantId }
        { name: 'BACKOFFICE_TOKEN', value: backofficeToken }
        { name: 'TWILIO_ACCOUNT_SID', value: twilioAccountSid }
        { name: 'TWILIO_AUTH_TOKEN', value: twilioAuthToken }
        { name: 'TWILIO_FROM_NUMBER', value: twilioFromNumber }
        { name: 'CLU_ENDPOINT', value: cluEndpoint }
        { name: 'CLU_KEY', value: cluKey }
        { name: 'CLU_PROJECT_NAME', value: cluProjectName }
        { name: 'CLU_DEPLOYMENT_NAME', value: cluDeploymentName }
      ]
    }
  }
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: botName
  location: 'global'
  kind: 'azurebot'
  sku: { name: 'S1' }
  properties: {
    displayName: 'CarlinKit Support'
    endpoint: 'https://${site.properties.defaultHostName}/api/messages'
    msaAppId: microsoftAppId
    msaAppType: microsoftAppType
    msaAppTenantId: microsoftAppType == 'SingleTenant' ? microsoftAppTenantId : null
  }
}

resource directLine 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'DirectLineChannel'
  location: 'global'
  properties: {
    channelName: 'DirectLineChannel'
    properties: {
      sites: [ { siteName: 'Website', isEnabled: true, isV1Enabled: false, isV3Enabled: true, isSecureSiteEnabled: true, trustedOrigins: [ 'https://www.carlinkit.com' ] } ]
    }
  }
}

output botEndpoint string = bot.properties.endpoint
output appUrl string = 'https://${site.properties.defaultHostName}'
